import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { bundleIssuer, type EdgeKeys } from "./edge-keys";
import { compileBundle, resolveTokenUrls, type ResolveTokenUrl } from "./compile-bundle";
import { deploy } from "./deploy";
import { latestDeployment, storedBundle } from "./record-deployment";
import type { PublishOutput } from "./schemas";

/** What publishing talks to; defaults come from the environment (lib/config/edge-keys.ts). Tests pass their own. */
export interface PublishDeps {
  keys?: EdgeKeys;
  portalUrls?: string[];
  fetch?: typeof fetch;
  resolveTokenUrl?: ResolveTokenUrl;
  issuer?: string;
}

/**
 * Publish: compile the bundle from the database, sign it, record it as the next version (with its
 * audit row, in one transaction), then push it to every portal and record their answers. A push
 * failure does not undo the deployment: it is recorded, and "Push again" re-sends it.
 */
export async function publishConfig({ db, actor }: Ctx, deps: PublishDeps = {}): Promise<PublishOutput> {
  authorize(actor, "config.publish");
  const tokenUrls = await resolveTokenUrls(db, deps.resolveTokenUrl);
  const result = await deploy(db, actor, deps, async (tx, version, keys) => {
    const previous = await latestDeployment(tx);
    const { bundle, skipped } = await compileBundle(tx, {
      version,
      issuer: deps.issuer ?? bundleIssuer(),
      edgeSecrets: keys.edgeSecrets,
      previous: previous ? storedBundle(previous) : null,
      tokenUrls,
    });
    return { bundle, meta: { kind: "publish", skipped } };
  });
  return result!; // the plan is never null: publish always makes a version
}
