import { apiRoute } from "@/lib/api/route";
import { simulatePolicyEndpoint } from "@/lib/api/endpoints";
import { simulatePolicy } from "@/lib/policies/simulate";

export const POST = apiRoute(simulatePolicyEndpoint, ({ ctx, body }) => simulatePolicy(ctx, body));
