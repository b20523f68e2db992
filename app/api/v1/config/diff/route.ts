import { apiRoute } from "@/lib/api/route";
import { diffConfigEndpoint } from "@/lib/config/endpoints";
import { getConfigDiff } from "@/lib/config/queries";

export const GET = apiRoute(diffConfigEndpoint, ({ ctx, query }) => getConfigDiff(ctx, query));
