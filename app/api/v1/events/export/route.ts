import { apiRoute } from "@/lib/api/route";
import { exportAuditEventsEndpoint } from "@/lib/audit/endpoints";
import { exportEvents, exportResponse } from "@/lib/audit/export-events";

export const GET = apiRoute(exportAuditEventsEndpoint, async ({ ctx, query }) => exportResponse(exportEvents(ctx, query)));
