/**
 * The response cache's key: which earlier answer may be replayed for a request, partitioned by who
 * may see it and never by a credential. Pure, Web Crypto. What the key covers:
 * docs/llm-gateway.md, "The response cache's key".
 */
import { sha256Hex } from "@core/crypto/sha256";
import { canonicalJson } from "@core/tools/tool-hash";
import { type LlmOperation, type LlmProvider } from "./providers";
import { containsCredential } from "./redact";

const CACHE_KEY_VERSION = 1;

export interface CacheKeyInput {
  provider: LlmProvider;
  op: LlmOperation;
  /** The tenant the answer belongs to (a user id). Never a credential. */
  scope: string;
  /** The request body as parsed JSON (after any gateway rewrite, e.g. withStreamUsage). */
  body: unknown;
}

export async function cacheKey({ provider, op, scope, body }: CacheKeyInput): Promise<string> {
  if (scope === "") throw new TypeError("cacheKey: scope must name a tenant");
  if (containsCredential(scope)) throw new TypeError("cacheKey: scope must not be a credential");
  return sha256Hex(canonicalJson({ v: CACHE_KEY_VERSION, provider, op, scope, body }));
}

const CACHEABLE: ReadonlySet<LlmOperation> = new Set(["chat.completions", "responses", "embeddings", "messages"]);

/** Whether an answer to this request may be cached: a cacheable operation with a JSON object body. */
export function isCacheable(op: LlmOperation, body: unknown): boolean {
  return CACHEABLE.has(op) && body !== null && typeof body === "object" && !Array.isArray(body);
}

/**
 * Seconds to cache an answer for, from a per-request header: absent or empty → the default; a
 * whole number of seconds (`0` = do not cache) → it, capped at `maxSeconds`; anything else
 * (negative, fractional, words) → the default. The default itself is capped too.
 */
export function parseCacheTtl(headerValue: string | null | undefined, defaultSeconds: number, maxSeconds: number): number {
  const max = Math.max(0, Math.floor(maxSeconds));
  const fallback = Math.min(max, Math.max(0, Math.floor(defaultSeconds)));
  const text = headerValue?.trim() ?? "";
  if (!/^\d{1,12}$/.test(text)) return fallback;
  return Math.min(max, Number(text));
}
