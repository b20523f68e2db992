import { apiRoute } from "@/lib/api/route";
import { ingestScanEndpoint } from "@/lib/shadow/endpoints";
import { ingestScanReport } from "@/lib/shadow/ingest-scan";

export const POST = apiRoute(ingestScanEndpoint, ({ ctx, body }) => ingestScanReport(ctx, body));
