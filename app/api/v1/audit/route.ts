import { apiRoute } from "@/lib/api/route";
import { listAuditEventsEndpoint } from "@/lib/audit/endpoints";
import { listEvents } from "@/lib/audit/list-events";

export const GET = apiRoute(listAuditEventsEndpoint, ({ ctx, query }) => listEvents(ctx, query));
