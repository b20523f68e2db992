import { apiRoute } from "@/lib/api/route";
import { simulatePolicyEndpoint } from "@/lib/policies/endpoints";
import { simulatePolicy } from "@/lib/policies/simulate";

export const POST = apiRoute(simulatePolicyEndpoint, ({ ctx, body }) => simulatePolicy(ctx, body));
