/**
 * What an audit event keeps of a tool call's content: its arguments, and an excerpt of its result —
 * redacted as the portal's settings say (`BundleAudit.detail`, set on the console's Settings page):
 *
 * - `masked` (the default): credentials and e-mail addresses masked;
 * - `secrets`: credentials masked, e-mail addresses kept (when addresses are what audits look for);
 * - `off`: neither arguments nor results are recorded.
 *
 * Credentials are masked two ways: by the name of an argument (`password`, `apiKey`, `client_secret`,
 * `Authorization`, `accessToken`… — the value becomes `[redacted]` whatever it looks like), and by
 * the look of any text (lib/core/llm/redact.ts: bearer tokens, provider keys, GitHub and AWS keys,
 * the portal's own tokens, JWTs). A safety net, not a guarantee: a secret under an innocent name in a
 * format nobody knows stays visible — hence `off`. Pure; the edge runs it after the answer is sent.
 */
import { clipForLog, REDACTED, redactEmails, redactSecrets } from "@core/llm/redact";
import { storableText } from "@core/text/storable";

export const EVENT_DETAIL_MODES = ["masked", "secrets", "off"] as const;
export type EventDetailMode = (typeof EVENT_DETAIL_MODES)[number];
export const DEFAULT_EVENT_DETAIL: EventDetailMode = "masked";

/** UTF-8 bytes kept of the arguments (JSON) and of the result's excerpt. */
export const EVENT_ARGUMENTS_LIMIT = 2_000;
export const EVENT_RESULT_EXCERPT_LIMIT = 1_000;

/** Words that make an argument's name a credential's: `apiKey`, `api_key`, `X-Api-Key`, `client_secret`, `password`. */
const SECRET_WORDS = new Set(["password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "credential", "credentials", "cookie", "authorization", "auth", "bearer", "pat", "privatekey", "signature"]);
const SECRET_PAIRS = new Set(["api key", "private key", "access key", "secret key", "client secret", "session id", "refresh token"]);

/** Splits `clientSecret`, `client_secret`, `X-Api-Key`, `APIKey` into lower-case words. */
function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

export function isSecretName(name: string): boolean {
  const words = wordsOf(name);
  if (words.some((w) => SECRET_WORDS.has(w) || w.endsWith("password") || w.endsWith("token") || w.endsWith("secret"))) return true;
  for (let i = 0; i + 1 < words.length; i++) if (SECRET_PAIRS.has(`${words[i]} ${words[i + 1]}`)) return true;
  return false;
}

const redactString = (text: string, mode: EventDetailMode) => (mode === "masked" ? redactEmails(redactSecrets(text)) : redactSecrets(text));

/** A copy of a JSON value with credentials (by name and by look) and, in `masked`, e-mail addresses masked. Depth-bounded. */
export function redactValue(value: unknown, mode: EventDetailMode, depth = 0): unknown {
  if (typeof value === "string") return redactString(value, mode);
  if (value === null || typeof value !== "object") return value;
  if (depth >= 12) return "[…]";
  if (Array.isArray(value)) return value.slice(0, 200).map((v) => redactValue(v, mode, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>).slice(0, 200)) {
    out[redactString(key, mode)] = isSecretName(key) && v !== null && v !== "" ? REDACTED : redactValue(v, mode, depth + 1);
  }
  return out;
}

function json(value: unknown): string | null {
  try {
    return JSON.stringify(value) ?? null;
  } catch {
    return null;
  }
}

/** The text a tool result shows the model: its text blocks, other blocks named, else its structured content. */
function resultText(result: Record<string, unknown>): string | null {
  const parts: string[] = [];
  const content = Array.isArray(result.content) ? (result.content as unknown[]) : [];
  for (const block of content.slice(0, 50)) {
    if (!block || typeof block !== "object") continue;
    const b = block as Record<string, unknown>;
    if (b.type === "text" && typeof b.text === "string") parts.push(b.text);
    else if (b.type === "resource" && b.resource && typeof b.resource === "object") {
      const r = b.resource as Record<string, unknown>;
      parts.push(typeof r.text === "string" ? r.text : `[resource ${String(r.uri ?? "")}]`);
    } else if (b.type === "resource_link") parts.push(`[resource link ${String(b.uri ?? "")}]`);
    else if (typeof b.type === "string") parts.push(`[${b.type}${typeof b.mimeType === "string" ? ` ${b.mimeType}` : ""}]`);
  }
  if (parts.length > 0) return parts.join("\n");
  return result.structuredContent === undefined ? null : json(result.structuredContent);
}

/**
 * The arguments and the result excerpt of one tool call as its event keeps them (null when there is
 * none or `mode` is `off`). Arguments are JSON; both are clipped to their limits on a character
 * boundary with the count of bytes left out.
 */
export function callDetail(mode: EventDetailMode, args: unknown, result: unknown): { arguments: string | null; resultExcerpt: string | null } {
  if (mode === "off") return { arguments: null, resultExcerpt: null };
  const argsJson = args === undefined ? null : json(redactValue(args, mode));
  const text = result && typeof result === "object" && !Array.isArray(result) ? resultText(result as Record<string, unknown>) : null;
  return {
    arguments: argsJson === null ? null : storableText(clipForLog(argsJson, EVENT_ARGUMENTS_LIMIT)),
    resultExcerpt: text === null ? null : storableText(clipForLog(redactString(text, mode), EVENT_RESULT_EXCERPT_LIMIT)),
  };
}
