import { apiRoute } from "@/lib/api/route";
import { listServersEndpoint, registerServerEndpoint } from "@/lib/servers/endpoints";
import { listServers } from "@/lib/servers/queries";
import { registerServer } from "@/lib/servers/register-server";

export const GET = apiRoute(listServersEndpoint, async ({ ctx, query }) => ({ servers: await listServers(ctx, query) }));
export const POST = apiRoute(registerServerEndpoint, ({ ctx, body }) => registerServer(ctx, body));
