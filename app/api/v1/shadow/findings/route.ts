import { apiRoute } from "@/lib/api/route";
import { listFindingsEndpoint } from "@/lib/shadow/endpoints";
import { listFindings } from "@/lib/shadow/queries";

export const GET = apiRoute(listFindingsEndpoint, async ({ ctx, query }) => listFindings(ctx, query));
