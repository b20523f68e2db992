import { apiRoute } from "@/lib/api/route";
import { importPoliciesEndpoint } from "@/lib/policies/endpoints";
import { importPolicies } from "@/lib/policies/import-policies";

export const POST = apiRoute(importPoliciesEndpoint, ({ ctx, body }) => importPolicies(ctx, body));
