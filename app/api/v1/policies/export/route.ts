import { apiRoute } from "@/lib/api/route";
import { exportPoliciesEndpoint } from "@/lib/policies/endpoints";
import { exportPolicies } from "@/lib/policies/export-policies";

export const GET = apiRoute(exportPoliciesEndpoint, ({ ctx, query }) => exportPolicies(ctx, query));
