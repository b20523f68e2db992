import { bundleAcks, type BundleAck } from "@/db/schema";
import type { Queryable } from "@/db/client";
import type { EdgeSecret } from "@core/edge/secret";
import { toIso } from "@core/zod/helpers";
import type { AckOutput } from "./schemas";
import { portalStatus } from "./portal-status";

/** How long one portal may take to answer a push (and, separately, a status request). */
export const PUSH_TIMEOUT_MS = 5_000;
/** A refusal message is the portal's text: kept short so a misbehaving endpoint cannot fill the table. */
const MAX_MESSAGE = 500;

export interface PushOptions {
  urls: string[];
  /** The edge secrets: a portal answers its status only to requests signed with one of them. */
  secrets: EdgeSecret[];
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export function toAckOutput(row: BundleAck): AckOutput {
  return { portalUrl: row.portalUrl, version: row.version, status: row.status, activeVersion: row.activeVersion, message: row.message, at: toIso(row.createdAt) };
}

const clip = (text: string) => (text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text);

function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError" || error.name === "AbortError") return "no answer in time";
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return clip(cause?.code ?? cause?.message ?? error.message);
  }
  return "unknown error";
}

async function pushOne(url: string, version: number, issuedAt: string | null, body: string, secrets: EdgeSecret[], fetchFn: typeof fetch, timeoutMs: number): Promise<Omit<typeof bundleAcks.$inferInsert, "id" | "createdAt">> {
  let res: Response;
  try {
    res = await fetchFn(`${url}/_portcullis/bundle`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "manual",
    });
  } catch (error) {
    return { portalUrl: url, version, status: "unreachable", activeVersion: null, message: describeFailure(error) };
  }
  const text = await res.text().catch(() => "");
  let answer: { accepted?: unknown; version?: unknown; error?: { code?: unknown; message?: unknown } } = {};
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    // Not JSON: reported below by status.
  }
  const status = await portalStatus(url, secrets, fetchFn, timeoutMs);
  const running = status?.version ?? null;
  if (res.ok && answer.accepted === true) return { portalUrl: url, version, status: "accepted", activeVersion: running, message: null };
  // Sent twice at once (a publish racing a push or the reconcile loop): the portal runs this very
  // bundle (same version, same signing time), so this push's outcome is the one that counts.
  if (answer.error?.code === "NOT_NEWER" && running === version && issuedAt !== null && status?.issuedAt === issuedAt) {
    return { portalUrl: url, version, status: "accepted", activeVersion: running, message: "already running this version" };
  }
  const reason =
    answer.error && typeof answer.error.code === "string"
      ? `${answer.error.code}${typeof answer.error.message === "string" ? `: ${answer.error.message}` : ""}`
      : `HTTP ${res.status}${text ? `: ${text}` : ""}`;
  // A portal running a newer version than this console knows (its storage outlived a database reset):
  // nextVersion() starts above what it reported, so publishing again goes through.
  const hint = answer.error?.code === "NOT_NEWER" && running !== null && running >= version ? ` (it runs v${running}; publish again to continue above it)` : "";
  return { portalUrl: url, version, status: "refused", activeVersion: running, message: clip(reason + hint) };
}

function issuedAtOf(signed: unknown): string | null {
  const issuedAt = (signed as { bundle?: { issuedAt?: unknown } } | null)?.bundle?.issuedAt;
  return typeof issuedAt === "string" ? issuedAt : null;
}

/**
 * Pushes a signed bundle to every portal at once and records each answer. Never throws for a
 * portal's failure: an unreachable or refusing portal is an ack row, and the deployment stays
 * recorded so it can be pushed again.
 */
export async function pushToPortals(db: Queryable, deployment: { version: number; signed: unknown }, options: PushOptions): Promise<AckOutput[]> {
  if (options.urls.length === 0) return [];
  const fetchFn = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? PUSH_TIMEOUT_MS;
  const body = JSON.stringify(deployment.signed);
  const results = await Promise.all(options.urls.map((url) => pushOne(url, deployment.version, issuedAtOf(deployment.signed), body, options.secrets, fetchFn, timeoutMs)));
  const rows = await db.insert(bundleAcks).values(results).returning();
  // In the configured order (a multi-row `returning` is not promised to keep it).
  const order = (url: string) => options.urls.indexOf(url);
  return rows.map(toAckOutput).sort((a, b) => order(a.portalUrl) - order(b.portalUrl));
}
