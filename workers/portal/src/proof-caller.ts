/**
 * A hosted server calling the LLM gateway for the person whose tool call it is serving
 * (docs/upstream-proof.md, "LLM calls from a hosted server"). The server has no portal credential
 * of its own and never sees the caller's: it presents the proof the portal sent it with that tool
 * call (`Portcullis-Proof`). The gateway accepts such a proof as that person's credential for the
 * proof's short life (60 s, with the verifier's 30 s of skew) when:
 * - it verifies against this portal's own proof keys and names this portal as issuer;
 * - it is a user proof (not the portal's or the console's own) whose `scope` carries write, as the
 *   caller's own credential did (a read-only token's tool call cannot spend on LLM calls);
 * - its audience is a server of the bundle in force: a proof is bound to the approved server it
 *   was sent to, and a server removed from the registry loses the ability at the next publish;
 * - its subject is an active user of that bundle, whose current role, teams, policies, limits and
 *   budgets then apply exactly as to the person's own API token.
 */
import type { TokenScope } from "@core/auth/roles";
import type { BundleIndex } from "@core/bundle/bundle-index";
import type { BundleServer, BundleUser } from "@core/bundle/schema";
import { proofKeySet } from "@core/proof/sign";
import { portalIssuers, proofOf, verifyProof, type ProofResult } from "@core/proof/verify";
import { publicOrigin } from "./auth";
import type { Env } from "./env";
import { edgeSecrets } from "./settings";

export interface ProofCaller {
  user: BundleUser;
  scopes: TokenScope[];
  /** The hosted server the proof was sent to. */
  server: BundleServer;
}

export type ProofCallerResult = { ok: true; caller: ProofCaller } | { ok: false; message: string } | null;

/** The caller a request's upstream proof names (null: the request carries none). */
export async function proofCaller(request: Request, env: Env, config: BundleIndex): Promise<ProofCallerResult> {
  const token = proofOf(request);
  if (!token) return null;
  let result: ProofResult;
  try {
    result = await verifyProof(token, {
      keys: await proofKeySet(await edgeSecrets(env.PORTCULLIS_EDGE_SECRET)),
      issuer: portalIssuers(publicOrigin(request, env)),
      audience: config.bundle.servers.map((s) => s.url),
    });
  } catch {
    return { ok: false, message: "This portal has no proof keys (no valid PORTCULLIS_EDGE_SECRET)" };
  }
  if (!result.ok) return { ok: false, message: `The Portcullis-Proof is not accepted: ${result.message}` };
  const { claims } = result;
  if (claims.kind !== "user") return { ok: false, message: "The Portcullis-Proof names no person (the portal's or the console's own requests cannot call the LLM gateway)" };
  const user = config.usersById.get(claims.sub);
  const server = config.bundle.servers.find((s) => new URL(s.url).href === new URL(claims.aud).href);
  if (!user || !server) return { ok: false, message: "The Portcullis-Proof names a person or server this portal no longer has" };
  const scopes = (claims.scope ?? "").split(" ").filter((s): s is TokenScope => s === "read" || s === "write");
  return { ok: true, caller: { user, scopes, server } };
}
