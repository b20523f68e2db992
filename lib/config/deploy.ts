import type { Database, Transaction } from "@/db/client";
import type { Actor } from "../auth/actor";
import type { ConfigBundle } from "@core/bundle/schema";
import { loadEdgeKeys, portalUrls } from "./edge-keys";
import type { PublishDeps } from "./publish-config";
import { pushToPortals } from "./push";
import { lockPublishing, nextVersion, recordDeployment, toDeploymentOutput, type DeploymentMeta } from "./record-deployment";
import type { PublishOutput } from "./schemas";

export interface DeploymentPlan {
  bundle: ConfigBundle;
  meta: DeploymentMeta;
}

/**
 * What publish, rollback and identity sync share: under the publishing lock, `build` makes the
 * bundle for the next version (or decides there is nothing to publish: null); it is signed and
 * recorded with its audit row in that transaction; then it is pushed to every portal and their
 * answers are recorded. A push failure does not undo the deployment ("Push again" re-sends it).
 */
export async function deploy(
  db: Database,
  actor: Actor,
  deps: Pick<PublishDeps, "keys" | "portalUrls" | "fetch">,
  build: (tx: Transaction, version: number, keys: NonNullable<PublishDeps["keys"]>) => Promise<DeploymentPlan | null>,
): Promise<PublishOutput | null> {
  const keys = deps.keys ?? (await loadEdgeKeys());
  const urls = deps.portalUrls ?? portalUrls();
  const row = await db.transaction(async (tx) => {
    await lockPublishing(tx);
    const plan = await build(tx, await nextVersion(tx), keys);
    return plan ? recordDeployment(tx, actor, keys, plan.bundle, plan.meta) : null;
  });
  if (!row) return null;
  const pushed = await pushToPortals(db, row, { urls, secrets: keys.edgeSecrets, fetch: deps.fetch });
  return { ...toDeploymentOutput(row, pushed), pushed };
}
