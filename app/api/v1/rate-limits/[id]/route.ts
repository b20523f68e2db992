import { apiRoute } from "@/lib/api/route";
import { deleteRateLimitEndpoint, getRateLimitEndpoint, updateRateLimitEndpoint } from "@/lib/rate-limits/endpoints";
import { deleteRateLimit } from "@/lib/rate-limits/delete-rate-limit";
import { getRateLimit } from "@/lib/rate-limits/queries";
import { updateRateLimit } from "@/lib/rate-limits/update-rate-limit";

export const GET = apiRoute(getRateLimitEndpoint, ({ ctx, params }) => getRateLimit(ctx, params.id));
export const PATCH = apiRoute(updateRateLimitEndpoint, ({ ctx, params, body }) => updateRateLimit(ctx, params.id, body));
export const DELETE = apiRoute(deleteRateLimitEndpoint, ({ ctx, params }) => deleteRateLimit(ctx, params.id));
