import { apiRoute } from "@/lib/api/route";
import { getServerEndpoint } from "@/lib/servers/endpoints";
import { getServer } from "@/lib/servers/queries";

export const GET = apiRoute(getServerEndpoint, ({ ctx, params }) => getServer(ctx, params.id));
