import { apiRoute } from "@/lib/api/route";
import { consoleOriginOf } from "@/lib/auth/console-origin";
import { notifyBlockEndpoint } from "@/lib/shadow/endpoints";
import { notifyBlock } from "@/lib/shadow/notify-block";

// The origin from the request it holds (not `headers()`, which exists only inside Next's request scope).
export const POST = apiRoute(notifyBlockEndpoint, async ({ ctx, params, body, request }) => notifyBlock(ctx, params.id, body, { consoleOrigin: consoleOriginOf(request.headers) }));
