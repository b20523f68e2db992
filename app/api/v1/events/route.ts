import { getDb } from "@/db/client";
import { checkBudgetAlerts } from "@/lib/budgets/check-budget-alerts";
import { ingestEventsRequest } from "@/lib/audit/ingest-request";
import { edgeSecrets } from "@/lib/config/edge-keys";
import { kickForwarding } from "@/lib/forwarding/delivery-job";

// Called by the portal Worker, not by people: authenticated by X-Portcullis-Signature, never by an API token.
// Forwarding sinks are sent to after the batch committed, without the portal waiting for them.
// New LLM usage may cross a budget threshold: alerts (and their webhooks) follow each such delivery.
export const POST = (request: Request) =>
  ingestEventsRequest(request, {
    db: getDb,
    secrets: () => edgeSecrets(),
    onUsage: async (db) => void (await checkBudgetAlerts(db, new Date())),
    onForwarded: kickForwarding,
  });
