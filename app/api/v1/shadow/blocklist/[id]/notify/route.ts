import { apiRoute } from "@/lib/api/route";
import { consoleOrigin } from "@/lib/auth/console-origin";
import { notifyBlockEndpoint } from "@/lib/shadow/endpoints";
import { notifyBlock } from "@/lib/shadow/notify-block";

export const POST = apiRoute(notifyBlockEndpoint, async ({ ctx, params, body }) => notifyBlock(ctx, params.id, body, { consoleOrigin: await consoleOrigin() }));
