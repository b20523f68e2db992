import { apiRoute } from "@/lib/api/route";
import { getAuditDetail, updateAuditDetail } from "@/lib/audit/detail-settings";
import { getAuditDetailEndpoint, updateAuditDetailEndpoint } from "@/lib/config/endpoints";

export const GET = apiRoute(getAuditDetailEndpoint, ({ ctx }) => getAuditDetail(ctx));
export const PUT = apiRoute(updateAuditDetailEndpoint, ({ ctx, body }) => updateAuditDetail(ctx, body));
