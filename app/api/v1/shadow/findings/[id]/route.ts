import { apiRoute } from "@/lib/api/route";
import { getFindingEndpoint, updateFindingEndpoint } from "@/lib/shadow/endpoints";
import { getFinding } from "@/lib/shadow/queries";
import { updateFinding } from "@/lib/shadow/update-finding";

export const GET = apiRoute(getFindingEndpoint, ({ ctx, params }) => getFinding(ctx, params.id));
export const PATCH = apiRoute(updateFindingEndpoint, ({ ctx, params, body }) => updateFinding(ctx, params.id, body));
