import { readAuthSettings } from "@/lib/auth/settings";
import { upstreamGuardOptionsFromEnv } from "./check-upstream-url";
import { createGuardedFetch } from "./guarded-fetch";

export const WEBHOOK_TIMEOUT_MS = 5_000;

/**
 * Webhooks go through the upstream SSRF guard (guarded-fetch.ts), exactly as upstream MCP servers
 * do: a URL someone typed must not reach the metadata service, the intranet or the console's own
 * host. Loopback only in local mode (or where PORTCULLIS_ALLOWED_UPSTREAM_CIDRS says). No redirects:
 * a webhook that answers with one has not received the message.
 */
function webhookFetch(): typeof fetch {
  const options = upstreamGuardOptionsFromEnv(process.env, readAuthSettings().mode === "local");
  return createGuardedFetch({ ...options, maxRedirects: 0 });
}

/** POSTs `body` as JSON; answers "sent", or "failed: <HTTP status or error>". Never throws. */
export function postWebhook(url: string, body: unknown, options: { userAgent: string; fetch?: typeof fetch }): Promise<string> {
  return postBody(url, JSON.stringify(body), { ...options, headers: { "content-type": "application/json" } });
}

/**
 * POSTs a body already serialized (signed bodies must go out exactly as signed) with `headers`;
 * answers "sent", or "failed: <HTTP status or error>". Never throws.
 */
export async function postBody(url: string, body: string, options: { userAgent: string; headers: Record<string, string>; fetch?: typeof fetch }): Promise<string> {
  try {
    const send = options.fetch ?? webhookFetch();
    const res = await send(url, {
      method: "POST",
      headers: { ...options.headers, "user-agent": options.userAgent },
      body,
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
