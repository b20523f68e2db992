import { postWebhook } from "@/lib/net/webhook";
import type { BudgetWebhookPayload } from "./schemas";

/** POSTs the alert through the SSRF guard (lib/net/webhook.ts); answers "sent", or "failed: <HTTP status or error>". Never throws. */
export function sendBudgetWebhook(url: string, payload: BudgetWebhookPayload, fetchFn?: typeof fetch): Promise<string> {
  return postWebhook(url, payload, { userAgent: "portcullis-budget-alerts", ...(fetchFn ? { fetch: fetchFn } : {}) });
}
