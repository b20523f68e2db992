import { apiRoute } from "@/lib/api/route";
import { adoptFindingEndpoint } from "@/lib/shadow/endpoints";
import { adoptFinding } from "@/lib/shadow/adopt-finding";

export const GET = apiRoute(adoptFindingEndpoint, ({ ctx, params }) => adoptFinding(ctx, params.id));
