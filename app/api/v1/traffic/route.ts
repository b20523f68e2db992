import { apiRoute } from "@/lib/api/route";
import { ingestTrafficEndpoint } from "@/lib/shadow/endpoints";
import { ingestTraffic } from "@/lib/shadow/ingest-traffic";

// Streamed: the handler reads the NDJSON body as it arrives (apiRoute leaves streamBody endpoints' bodies alone).
export const POST = apiRoute(ingestTrafficEndpoint, ({ ctx, query, request }) => ingestTraffic(ctx, { body: request.body, format: query.format, filename: query.filename }));
