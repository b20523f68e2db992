import { apiRoute } from "@/lib/api/route";
import { getServerAccessEndpoint, setServerAccessEndpoint } from "@/lib/servers/endpoints";
import { getServerAccess } from "@/lib/servers/access";
import { setServerAccess } from "@/lib/servers/set-server-access";

export const GET = apiRoute(getServerAccessEndpoint, ({ ctx, params }) => getServerAccess(ctx, params.id));
export const PUT = apiRoute(setServerAccessEndpoint, ({ ctx, params, body }) => setServerAccess(ctx, params.id, body));
