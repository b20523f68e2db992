import { apiRoute } from "@/lib/api/route";
import { approveFindingEndpoint } from "@/lib/shadow/endpoints";
import { approveFinding } from "@/lib/shadow/approve-finding";

export const POST = apiRoute(approveFindingEndpoint, ({ ctx, params, body }) => approveFinding(ctx, params.id, approveFindingEndpoint.body!.parse(body).note));
