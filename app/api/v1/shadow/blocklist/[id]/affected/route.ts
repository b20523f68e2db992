import { apiRoute } from "@/lib/api/route";
import { blockImpact } from "@/lib/shadow/block-impact";
import { blockImpactEndpoint } from "@/lib/shadow/endpoints";

export const GET = apiRoute(blockImpactEndpoint, ({ ctx, params, query }) => blockImpact(ctx, params.id, query));
