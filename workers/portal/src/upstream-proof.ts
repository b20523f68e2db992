/**
 * The portal's proof on every upstream request (docs/upstream-proof.md): a fresh token for each
 * request, signed with the key derived from the edge secret, bound to the server (its URL) and
 * naming the caller, in the `Portcullis-Proof` header next to the server's own credential (which
 * stays untouched). Every server gets it: one that ignores the header loses nothing, one that checks
 * it refuses whatever did not come through the portal. Its keys are published at
 * `/.well-known/portcullis/jwks.json` (routes/proof-keys.ts).
 */
import type { TokenScope } from "@core/auth/roles";
import type { BundleIndex } from "@core/bundle/bundle-index";
import type { BundleServer, BundleUser } from "@core/bundle/schema";
import { PORTAL_SUBJECT, signProof, type ProofSubject } from "@core/proof/sign";
import { PROOF_HEADER } from "@core/proof/verify";
import { edgeSecrets } from "./settings";

/** Who a proof names: the portal origin the caller reached (the issuer) and the caller. */
export interface ProofContext {
  issuer: string;
  subject: ProofSubject;
}

/**
 * The caller as a proof names it: user id, email and team slugs from the current bundle, and the
 * scopes of the credential they called with (the LLM gateway takes a proof with write only, so a
 * read-only token's tool call cannot spend: proof-caller.ts).
 */
export function userSubject(index: Pick<BundleIndex, "teamSlugs">, user: BundleUser, scopes: readonly TokenScope[]): ProofSubject {
  return { kind: "user", userId: user.id, email: user.email, teams: user.teamIds.flatMap((id) => index.teamSlugs.get(id) ?? []), scopes };
}

/** The portal itself calling (pin checks, ending upstream sessions of a caller who is gone). */
export const portalProof = (issuer: string): ProofContext => ({ issuer, subject: PORTAL_SUBJECT });

/** `{ "portcullis-proof": <token> }` for one request to `server`. */
export async function proofHeader(server: BundleServer, edgeSecretSource: string, proof: ProofContext): Promise<Record<string, string>> {
  return { [PROOF_HEADER]: await signProof({ issuer: proof.issuer, audience: server.url, subject: proof.subject }, await edgeSecrets(edgeSecretSource)) };
}

/**
 * A fetch that adds a fresh proof to every request to the server's own origin (never to wherever
 * a redirect or an SSE endpoint event points elsewhere): the SDK client of the session path keeps
 * one transport for the session's life, longer than a proof lives. `proof` is read per request.
 */
export function fetchWithProof(server: BundleServer, edgeSecretSource: string, proof: () => ProofContext, base: typeof fetch = fetch): typeof fetch {
  const origin = new URL(server.url).origin;
  return async (input, init) => {
    const target = new URL(input instanceof Request ? input.url : String(input));
    if (target.origin !== origin) return base(input, init);
    const headers = new Headers(input instanceof Request ? input.headers : undefined);
    new Headers(init?.headers).forEach((value, name) => headers.set(name, value));
    for (const [name, value] of Object.entries(await proofHeader(server, edgeSecretSource, proof()))) headers.set(name, value);
    return base(input, { ...init, headers });
  };
}
