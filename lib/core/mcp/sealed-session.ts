/**
 * Sealed sessions: a session of the 2025 revisions (initialize, `Mcp-Session-Id`) that lives in its
 * id rather than in a Durable Object. The portal seals who opened it (user, credential, endpoint),
 * the protocol version it agreed and the client's name into the id (AES-GCM, lib/core/edge/secret.ts
 * `sealSessionId`), so whichever isolate receives a request can serve it on the per-call path with
 * no hop. Only sessions that need nothing from a server→client channel are sealed: a client that
 * declares sampling, elicitation or roots can be asked something by an upstream mid-call, and that
 * relay needs one object holding the session (docs/mcp-endpoint.md, "Sealed sessions").
 *
 * Pure: the payload's encoding, its checks, and the choice between sealed and durable.
 */
import { z } from "zod";
import { isJsonObject } from "@core/json/is-object";
import { SESSION_PROTOCOL_VERSIONS, type ClientInfo } from "./stateless";

/** How long a sealed session id is honoured after it was issued; then the client opens a new session (404, as for any ended session). */
export const SEALED_SESSION_MAX_AGE_SECONDS = 24 * 3600;
/** Client name and version are clipped to this in the id, which must stay short enough to be an event's `sessionId`. */
const CLIENT_TEXT_LIMIT = 48;

export interface SealedSession {
  userId: string;
  /** The API token that opened it; null for an OAuth grant. */
  tokenId: string | null;
  /** The server slug of `/mcp/{slug}`, null for `/mcp`. */
  scope: string | null;
  protocolVersion: string;
  clientInfo: ClientInfo;
  /** Unix seconds. */
  issuedAt: number;
  /** The client declared `elicitation` at initialize: Code Mode may ask its user to approve a call (sessions without it never are asked). */
  elicitation?: boolean;
}

/** The payload as sealed: short keys, since it travels on every request. */
const Payload = z.object({
  u: z.string().min(1).max(200),
  t: z.string().max(200).nullable(),
  s: z.string().max(200).nullable(),
  v: z.enum(SESSION_PROTOCOL_VERSIONS),
  c: z.tuple([z.string().max(CLIENT_TEXT_LIMIT), z.string().max(CLIENT_TEXT_LIMIT)]),
  i: z.number().int().nonnegative(),
  e: z.literal(1).optional(),
});

export function encodeSealedSession(session: SealedSession): string {
  const payload: z.input<typeof Payload> = {
    u: session.userId,
    t: session.tokenId,
    s: session.scope,
    v: session.protocolVersion as (typeof SESSION_PROTOCOL_VERSIONS)[number],
    c: [session.clientInfo.name.slice(0, CLIENT_TEXT_LIMIT), session.clientInfo.version.slice(0, CLIENT_TEXT_LIMIT)],
    i: session.issuedAt,
    ...(session.elicitation ? { e: 1 as const } : {}),
  };
  return JSON.stringify(payload);
}

/** The session in an opened id, or null when it is not a payload of ours or has expired (or was issued in the future). */
export function decodeSealedSession(text: string, nowSeconds: number): SealedSession | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = Payload.safeParse(raw);
  if (!parsed.success) return null;
  const p = parsed.data;
  if (!sealedSessionFresh(p.i, nowSeconds)) return null;
  return { userId: p.u, tokenId: p.t, scope: p.s, protocolVersion: p.v, clientInfo: { name: p.c[0], version: p.c[1] }, issuedAt: p.i, ...(p.e ? { elicitation: true } : {}) };
}

/** Whether a session issued at `issuedAt` is still honoured (not expired, not from the future beyond a minute's clock skew). */
export function sealedSessionFresh(issuedAt: number, nowSeconds: number): boolean {
  return issuedAt <= nowSeconds + 60 && nowSeconds - issuedAt <= SEALED_SESSION_MAX_AGE_SECONDS;
}


/**
 * Whether an initialize should open a session held by a Durable Object rather than a sealed one:
 * the client can be asked something (sampling, elicitation, roots), or asks for a revision the
 * sealed path does not speak (2024-11-05 and older), or it is not an initialize of the usual shape.
 */
export function needsDurableSession(initializeParams: unknown): boolean {
  if (!isJsonObject(initializeParams)) return true;
  const version = initializeParams.protocolVersion;
  if (typeof version !== "string" || !(SESSION_PROTOCOL_VERSIONS as readonly string[]).includes(version)) return true;
  const capabilities = initializeParams.capabilities;
  if (!isJsonObject(capabilities)) return true;
  const client = initializeParams.clientInfo;
  if (!isJsonObject(client) || typeof client.name !== "string" || typeof client.version !== "string") return true;
  return capabilities.sampling !== undefined || capabilities.elicitation !== undefined || capabilities.roots !== undefined;
}
