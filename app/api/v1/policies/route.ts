import { apiRoute } from "@/lib/api/route";
import { createPolicyEndpoint, listPoliciesEndpoint } from "@/lib/policies/endpoints";
import { createPolicy } from "@/lib/policies/create-policy";
import { listPolicies } from "@/lib/policies/queries";

export const GET = apiRoute(listPoliciesEndpoint, async ({ ctx }) => ({ policies: await listPolicies(ctx) }));
export const POST = apiRoute(createPolicyEndpoint, ({ ctx, body }) => createPolicy(ctx, body));
