import { apiRoute } from "@/lib/api/route";
import { deleteRateLimitEndpoint, getRateLimitEndpoint, updateRateLimitEndpoint } from "@/lib/rate-limits/endpoints";
import { deleteRateLimit, getRateLimit, updateRateLimit } from "@/lib/rate-limits/rate-limits";

export const GET = apiRoute(getRateLimitEndpoint, ({ ctx, params }) => getRateLimit(ctx, params.id));
export const PATCH = apiRoute(updateRateLimitEndpoint, ({ ctx, params, body }) => updateRateLimit(ctx, params.id, body));
export const DELETE = apiRoute(deleteRateLimitEndpoint, ({ ctx, params }) => deleteRateLimit(ctx, params.id));
