import { apiRoute } from "@/lib/api/route";
import { listAuditEventsEndpoint } from "@/lib/api/endpoints";
import { listEvents } from "@/lib/audit/list-events";

export const GET = apiRoute(listAuditEventsEndpoint, ({ ctx, query }) => listEvents(ctx, query));
