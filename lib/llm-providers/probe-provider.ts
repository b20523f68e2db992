import { eq } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { llmProviders, type LlmProviderRow } from "@/db/schema";
import { UpstreamAddressError, upstreamGuardOptionsFromEnv } from "@/lib/net/check-upstream-url";
import { createGuardedFetch } from "@/lib/net/guarded-fetch";
import { readBoundedBody } from "@core/http/bounded-body";
import type { LlmProvider } from "@core/llm/providers";
import { readAuthSettings } from "../auth/settings";
import type { ProviderCheck, ProviderOutput } from "./schemas";
import { gatewayPath, openApiKey, toProviderOutput } from "./store";

/**
 * The connection test run on every save of a provider (and by "Test again"): the models list, the
 * cheapest side-effect-free call both wire formats have (OpenAI-compatible `GET <base>/models` with
 * `Authorization: Bearer`, Anthropic `GET <base>/models` with `x-api-key` and `anthropic-version`).
 * It goes through the upstream SSRF guard, as MCP discovery does: the base URL is typed by a person
 * and must not reach the metadata service, the intranet or the console's own host (loopback only in
 * local mode or where PORTCULLIS_ALLOWED_UPSTREAM_CIDRS allows it). The outcome never holds the key.
 */

export const CHECK_TIMEOUT_MS = 5_000;
const ANTHROPIC_VERSION = "2023-06-01";
// Anthropic pages its list (20 by default); 1000 is its largest page.
const ANTHROPIC_PAGE = 1000;
// A models list is a few hundred kB at most; a body past this is not one.
const MAX_LIST_BYTES = 4_000_000;
const TLS_CODE = /^(CERT_|ERR_TLS|ERR_SSL|SELF_SIGNED|DEPTH_ZERO|UNABLE_TO_|HOSTNAME_MISMATCH)/;

export interface ProbeTarget {
  slug: string;
  kind: LlmProvider;
  baseUrl: string;
  apiKey: string | null;
}

function checkFetch(): typeof fetch {
  return createGuardedFetch(upstreamGuardOptionsFromEnv(process.env, readAuthSettings().mode === "local"));
}

function parseJson(bytes: Uint8Array | null): unknown {
  try {
    return bytes === null ? null : JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

/** `{ data: [...] }` (OpenAI, Anthropic, vLLM, Ollama, LiteLLM) or `{ models: [...] }`; null otherwise. */
function modelCount(body: unknown): { count: number; more: boolean } | null {
  if (!body || typeof body !== "object") return null;
  const { data, models, has_more: hasMore } = body as { data?: unknown; models?: unknown; has_more?: unknown };
  const list = Array.isArray(data) ? data : Array.isArray(models) ? models : null;
  return list ? { count: list.length, more: hasMore === true } : null;
}

/** The provider's own error text (OpenAI's and Anthropic's `{ error: { message } }`), with the key taken out. */
function providerError(body: unknown, apiKey: string | null): string {
  const error = (body as { error?: unknown } | null)?.error;
  const text = typeof error === "string" ? error : typeof (error as { message?: unknown } | undefined)?.message === "string" ? (error as { message: string }).message : "";
  const clean = (apiKey ? text.split(apiKey).join("[redacted]") : text).replace(/\s+/g, " ").trim();
  return clean.length > 200 ? `${clean.slice(0, 199)}…` : clean;
}

/** Why no answer came, in words. */
function describeFailure(error: unknown, url: URL): string {
  if (error instanceof UpstreamAddressError) return `The SSRF guard refused the address. ${error.message}`;
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `${url.host} did not answer within ${CHECK_TIMEOUT_MS / 1000} s (timeout)`;
  }
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === "string" ? cause.code : (/\((E[A-Z_]+)\)/.exec(error instanceof Error ? error.message : "")?.[1] ?? "");
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME") return `The host name "${url.hostname}" did not resolve (${code})`;
  if (code === "ECONNREFUSED") return `Nothing accepted a connection at ${url.host} (ECONNREFUSED)`;
  if (TLS_CODE.test(code)) return `The TLS handshake with ${url.host} failed (${code})`;
  if (code) return `The connection to ${url.host} failed (${code})`;
  const detail = typeof cause?.message === "string" ? cause.message : error instanceof Error ? error.message : String(error);
  return `The request to ${url.host} failed: ${detail.replace(/\s+/g, " ").slice(0, 200)}`;
}

/** Why a provider that answered will not serve calls, from its status. */
function describeStatus(status: number, body: unknown, target: ProbeTarget, url: URL): string {
  const host = url.host;
  // A 401's text can quote part of the key (OpenAI: "Incorrect API key provided: sk-…abcd"): not shown.
  if (status === 401 || status === 403) {
    return target.apiKey ? `${host} refused the API key (HTTP ${status})` : `${host} asks for an API key (HTTP ${status}), and none is set`;
  }
  const said = providerError(body, target.apiKey);
  const suffix = said ? `: ${said}` : "";
  if (status === 404) return `${host} answered HTTP 404 for GET ${url.pathname}${suffix}. Check the base URL: it ends with the version path, such as /v1`;
  if (status === 429) return `${host} is rate-limiting (HTTP 429), so the key could not be confirmed${suffix}`;
  return `${host} answered HTTP ${status}${suffix}`;
}

/**
 * Tries the provider once: its models list with the key, through the SSRF guard, within 5 s.
 * Never throws; the outcome's message says what happened in words and never holds the key.
 */
export async function probeLlmProvider(target: ProbeTarget, fetchFn: typeof fetch = checkFetch()): Promise<ProviderCheck> {
  const checkedAt = new Date().toISOString();
  const url = new URL(`${target.baseUrl}/models`);
  if (target.kind === "anthropic") url.searchParams.set("limit", String(ANTHROPIC_PAGE));
  const headers: Record<string, string> = { accept: "application/json", "user-agent": "portcullis-provider-check" };
  if (target.kind === "anthropic") {
    headers["anthropic-version"] = ANTHROPIC_VERSION;
    if (target.apiKey) headers["x-api-key"] = target.apiKey;
  } else if (target.apiKey) {
    headers.authorization = `Bearer ${target.apiKey}`;
  }
  const fails = (reason: string, status?: number): ProviderCheck => ({
    ok: false,
    ...(status === undefined ? {} : { status }),
    message: `${reason.replace(/\.+$/, "")}. Calls through ${gatewayPath(target.slug)} will fail until this is fixed.`,
    checkedAt,
  });
  const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS);
  // The guard's DNS lookup does not take a signal: the race keeps the whole test within the limit.
  const deadline = new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
  deadline.catch(() => undefined);
  try {
    const { res, bytes } = await Promise.race([
      fetchFn(url, { headers, signal }).then(async (res) => ({ res, bytes: await readBoundedBody(res, MAX_LIST_BYTES) })),
      deadline,
    ]);
    const body = parseJson(bytes);
    if (!res.ok) return fails(describeStatus(res.status, body, target, url), res.status);
    const listed = modelCount(body);
    if (!listed) {
      const type = res.headers.get("content-type")?.split(";")[0] || "no content type";
      return fails(`${url.host} answered GET ${url.pathname} with something other than a models list (${type}). Check the base URL: it ends with the version path, such as /v1`, res.status);
    }
    const count = `${listed.count}${listed.more ? "+" : ""} model${listed.count === 1 && !listed.more ? "" : "s"}`;
    return { ok: true, status: res.status, message: `Reached ${url.host}: ${count} listed.`, models: listed.count, checkedAt };
  } catch (error) {
    return fails(describeFailure(error, url));
  }
}

/**
 * Whether saving a provider tries it. `PORTCULLIS_LLM_PROVIDER_CHECK=off` is for a console without
 * egress to the providers (where every try would only time out) — and for test suites that save
 * providers at public default URLs and must not call the internet. "Test again" always tries.
 */
export function checksOnSave(env: Record<string, string | undefined> = process.env): boolean {
  return !/^(off|0|false|no)$/i.test(env.PORTCULLIS_LLM_PROVIDER_CHECK ?? "");
}

/** After a save: tries the provider (unless checks on save are off), else answers the row as saved. */
export async function checkSavedProvider(db: Queryable, row: LlmProviderRow): Promise<ProviderOutput> {
  return checksOnSave() ? checkStoredProvider(db, row) : toProviderOutput(row);
}

/** Tests a stored provider with its stored key and keeps the outcome on the row (not an audited change). */
export async function checkStoredProvider(db: Queryable, row: LlmProviderRow, fetchFn?: typeof fetch): Promise<ProviderOutput> {
  let apiKey: string | null;
  try {
    apiKey = openApiKey(row);
  } catch {
    apiKey = null;
  }
  const check =
    apiKey === null && row.credentialCiphertext !== null
      ? {
          ok: false,
          message: `The stored API key could not be decrypted (the console's key ring changed); set the key again. Calls through ${gatewayPath(row.slug)} will fail until this is fixed.`,
          checkedAt: new Date().toISOString(),
        }
      : await probeLlmProvider({ slug: row.slug, kind: row.kind, baseUrl: row.baseUrl, apiKey }, fetchFn);
  const [updated] = await db.update(llmProviders).set({ lastCheck: check }).where(eq(llmProviders.id, row.id)).returning();
  // Deleted while the test ran: answer the row as it was, with the outcome.
  return toProviderOutput(updated ?? { ...row, lastCheck: check });
}
