import { signStatement } from "@core/bundle/sign";
import { EDGE_SIGNATURE_HEADER, signEdgeRequest, type EdgeSecret } from "@core/edge/secret";
import { LEASE_STATEMENT } from "@core/bundle/lease";
import type { EdgeKeys } from "./edge-keys";

/** What a portal says it runs (`GET /_portcullis/status`). */
export interface PortalStatus {
  version: number | null;
  issuedAt: string | null;
  /** When its configuration stops being used (bundle expiry or lease); null: never. */
  expiresAt: string | null;
  expired: boolean;
}

const STATUS_PATH = "/_portcullis/status";

/**
 * The portal's status, or null when it does not answer properly within `timeoutMs`. The portal
 * answers only requests signed with the edge secret (`secrets`).
 */
export async function portalStatus(url: string, secrets: EdgeSecret[], fetchFn: typeof fetch, timeoutMs: number): Promise<PortalStatus | null> {
  try {
    const headers = { accept: "application/json", [EDGE_SIGNATURE_HEADER]: await signEdgeRequest("GET", STATUS_PATH, secrets) };
    const res = await fetchFn(`${url}${STATUS_PATH}`, { signal: AbortSignal.timeout(timeoutMs), headers });
    if (!res.ok) return null;
    const body = (await res.json()) as Record<string, unknown>;
    const version = typeof body.version === "number" && Number.isInteger(body.version) ? body.version : null;
    return {
      version,
      issuedAt: typeof body.issuedAt === "string" ? body.issuedAt : null,
      expiresAt: typeof body.expiresAt === "string" ? body.expiresAt : null,
      expired: body.expired === true,
    };
  } catch {
    return null;
  }
}

/** Sends a signed lease extending `version` until `expMs`; the portal's new expiry, or the reason it refused. */
export async function sendLease(url: string, version: number, expMs: number, keys: EdgeKeys, fetchFn: typeof fetch, timeoutMs: number): Promise<{ ok: true; expiresAt: string } | { ok: false; message: string }> {
  const statement = await signStatement({ typ: LEASE_STATEMENT, exp: Math.floor(expMs / 1000), version }, keys.signing.privateKeyJwk, keys.signing.keyId);
  try {
    const res = await fetchFn(`${url}/_portcullis/lease`, { method: "POST", body: statement, signal: AbortSignal.timeout(timeoutMs), headers: { "content-type": "text/plain" } });
    const body = (await res.json().catch(() => ({}))) as { expiresAt?: unknown; error?: { message?: unknown } };
    if (res.ok && typeof body.expiresAt === "string") return { ok: true, expiresAt: body.expiresAt };
    return { ok: false, message: `lease refused: HTTP ${res.status}${typeof body.error?.message === "string" ? ` ${body.error.message.slice(0, 200)}` : ""}` };
  } catch (error) {
    return { ok: false, message: `lease not delivered: ${error instanceof Error ? error.message.slice(0, 200) : "unknown error"}` };
  }
}
