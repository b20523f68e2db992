import { apiRoute } from "@/lib/api/route";
import { deletePolicyEndpoint, getPolicyEndpoint, updatePolicyEndpoint } from "@/lib/policies/endpoints";
import { deletePolicy } from "@/lib/policies/delete-policy";
import { getPolicy } from "@/lib/policies/queries";
import { updatePolicy } from "@/lib/policies/update-policy";

export const GET = apiRoute(getPolicyEndpoint, ({ ctx, params }) => getPolicy(ctx, params.id));
export const PATCH = apiRoute(updatePolicyEndpoint, ({ ctx, params, body }) => updatePolicy(ctx, params.id, body));
export const DELETE = apiRoute(deletePolicyEndpoint, ({ ctx, params }) => deletePolicy(ctx, params.id));
