import { getDb } from "@/db/client";
import { ingestEventsRequest } from "@/lib/events/ingest-request";
import { edgeSecrets } from "@/lib/server/edge-keys";

// Called by the portal Worker, not by people: authenticated by X-Portcullis-Signature, never by an API token.
export const POST = (request: Request) => ingestEventsRequest(request, { db: getDb, secrets: () => edgeSecrets() });
