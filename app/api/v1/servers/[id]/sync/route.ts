import { apiRoute } from "@/lib/api/route";
import { syncServerEndpoint } from "@/lib/servers/endpoints";
import { syncServer } from "@/lib/servers/sync-server";

export const POST = apiRoute(syncServerEndpoint, ({ ctx, params }) => syncServer(ctx, params.id));
