import { apiRoute } from "@/lib/api/route";
import { policyImpactEndpoint } from "@/lib/policies/endpoints";
import { previewImpact } from "@/lib/policies/impact";

export const GET = apiRoute(policyImpactEndpoint, ({ ctx }) => previewImpact(ctx));
