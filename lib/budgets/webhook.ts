import { readAuthSettings } from "../auth/settings";
import { upstreamGuardOptionsFromEnv } from "@/lib/net/check-upstream-url";
import { createGuardedFetch } from "@/lib/net/guarded-fetch";
import type { BudgetWebhookPayload } from "./schemas";

export const WEBHOOK_TIMEOUT_MS = 5_000;

/**
 * The webhook goes through the upstream SSRF guard (lib/net/guarded-fetch.ts), exactly as upstream
 * MCP servers do: a URL someone typed must not reach the metadata service, the intranet or the
 * console's own host. Loopback only in local mode (or where PORTCULLIS_ALLOWED_UPSTREAM_CIDRS says).
 */
function webhookFetch(): typeof fetch {
  const options = upstreamGuardOptionsFromEnv(process.env, readAuthSettings().mode === "local");
  return createGuardedFetch({ ...options, maxRedirects: 0 });
}

/** POSTs the alert; answers "sent", or "failed: <HTTP status or error>". Never throws. */
export async function sendBudgetWebhook(url: string, payload: BudgetWebhookPayload, fetchFn?: typeof fetch): Promise<string> {
  try {
    const send = fetchFn ?? webhookFetch();
    const res = await send(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "portcullis-budget-alerts" },
      body: JSON.stringify(payload),
      redirect: "manual",
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await res.body?.cancel().catch(() => undefined);
    return res.ok ? "sent" : `failed: HTTP ${res.status}`;
  } catch (error) {
    return `failed: ${describeFailure(error).slice(0, 300)}`;
  }
}

function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError") return `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`;
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail = typeof cause?.code === "string" ? cause.code : typeof cause?.message === "string" ? cause.message : "";
  return detail && !error.message.includes(detail) ? `${error.message} (${detail})` : error.message;
}
