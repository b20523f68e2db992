import { apiRoute } from "@/lib/api/route";
import { createPolicyEndpoint, listPoliciesEndpoint } from "@/lib/policies/endpoints";
import { createPolicy, listPolicies } from "@/lib/policies/policies";

export const GET = apiRoute(listPoliciesEndpoint, async ({ ctx }) => ({ policies: await listPolicies(ctx) }));
export const POST = apiRoute(createPolicyEndpoint, ({ ctx, body }) => createPolicy(ctx, body));
