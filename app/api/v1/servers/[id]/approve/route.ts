import { apiRoute } from "@/lib/api/route";
import { approveServerEndpoint } from "@/lib/servers/endpoints";
import { approveServer } from "@/lib/servers/approve-server";

export const POST = apiRoute(approveServerEndpoint, ({ ctx, params, body }) => approveServer(ctx, params.id, body));
