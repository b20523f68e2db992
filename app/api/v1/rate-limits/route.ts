import { apiRoute } from "@/lib/api/route";
import { createRateLimitEndpoint, listRateLimitsEndpoint } from "@/lib/rate-limits/endpoints";
import { createRateLimit } from "@/lib/rate-limits/create-rate-limit";
import { listRateLimits } from "@/lib/rate-limits/queries";

export const GET = apiRoute(listRateLimitsEndpoint, async ({ ctx }) => ({ rateLimits: await listRateLimits(ctx) }));
export const POST = apiRoute(createRateLimitEndpoint, ({ ctx, body }) => createRateLimit(ctx, body));
