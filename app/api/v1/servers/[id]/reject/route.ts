import { apiRoute } from "@/lib/api/route";
import { rejectServerEndpoint } from "@/lib/servers/endpoints";
import { rejectServer } from "@/lib/servers/reject-server";

export const POST = apiRoute(rejectServerEndpoint, ({ ctx, params, body }) => rejectServer(ctx, params.id, body));
