import { apiRoute } from "@/lib/api/route";
import { retryDeadLettersEndpoint } from "@/lib/forwarding/endpoints";
import { retryDeadLetters } from "@/lib/forwarding/retry-dead-letters";

export const POST = apiRoute(retryDeadLettersEndpoint, ({ ctx, params }) => retryDeadLetters(ctx, params.id));
