import { authorize } from "../auth/actor";
import { pruneDangling } from "@core/bundle/prune";
import type { ConfigBundle } from "@core/bundle/schema";
import type { Ctx } from "../context";
import { bundleContentHash, compileIdentities } from "./compile-bundle";
import { deploy } from "./deploy";
import type { PublishDeps } from "./publish-config";
import { latestDeployment, storedBundle } from "./record-deployment";
import { DeploymentSummary, type PublishOutput } from "./schemas";

/**
 * Keeps the edge's identities in step with the console without publishing anything else: the last
 * deployed bundle's servers and rules, with today's teams, users and API tokens, as a new version.
 * A token made a minute ago works at the portal, and a revoked token or a disabled user stops
 * working, without waiting for an admin to publish pending server or policy changes.
 *
 * Rules and server owners that point at a team or user that is gone are dropped (the bundle must
 * not dangle). Nothing published yet, or nothing changed: no new version (returns null).
 */
export async function syncIdentities({ db, actor }: Ctx, deps: Omit<PublishDeps, "resolveTokenUrl" | "issuer"> = {}): Promise<PublishOutput | null> {
  authorize(actor, "config.publish");
  return deploy(db, actor, deps, async (tx, version) => {
    const last = await latestDeployment(tx);
    if (!last) return null;
    const now = new Date();
    const base = storedBundle(last);
    const identities = await compileIdentities(tx, now);
    const bundle: ConfigBundle = pruneDangling({ ...base, ...identities, version, issuedAt: now.toISOString() });
    if ((await bundleContentHash(bundle)) === last.contentHash) return null;
    return { bundle, meta: { kind: "identity", skipped: DeploymentSummary.safeParse(last.summary).data?.skipped ?? [] } };
  });
}
