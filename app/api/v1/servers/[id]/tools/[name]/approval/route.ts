import { apiRoute } from "@/lib/api/route";
import { setToolApprovalEndpoint } from "@/lib/servers/endpoints";
import { setToolApproval } from "@/lib/servers/set-tool-approval";

export const PUT = apiRoute(setToolApprovalEndpoint, ({ ctx, params, body }) => setToolApproval(ctx, params.id, params.name, body));
