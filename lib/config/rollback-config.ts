import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { NotFoundError } from "../errors";
import { loadEdgeKeys, portalUrls } from "../server/edge-keys";
import { withoutRevoked } from "./compile-bundle";
import type { PublishDeps } from "./publish-config";
import { pushToPortals } from "./push";
import { loadDeployment, lockPublishing, nextVersion, recordDeployment, storedBundle, toDeploymentOutput } from "./record-deployment";
import { DeploymentSummary, RollbackConfigInput, type PublishOutput } from "./schemas";

/**
 * Rollback: re-publish an earlier deployment's content as a new version (the edge only accepts
 * newer versions, so going back is going forward with old content). One exception to "the same
 * content": API tokens revoked or expired and users disabled since then stay out — a rollback
 * restores servers and rules, never access the console has taken away.
 */
export async function rollbackConfig({ db, actor }: Ctx, rawInput: unknown, deps: Omit<PublishDeps, "resolveTokenUrl" | "issuer"> = {}): Promise<PublishOutput> {
  authorize(actor, "config.publish");
  const input = RollbackConfigInput.parse(rawInput);
  const keys = deps.keys ?? (await loadEdgeKeys());
  const urls = deps.portalUrls ?? portalUrls();
  const row = await db.transaction(async (tx) => {
    await lockPublishing(tx);
    const target = await loadDeployment(tx, input.version);
    if (!target) throw new NotFoundError(`No published version ${input.version}`);
    const version = await nextVersion(tx);
    const now = new Date();
    const content = await withoutRevoked(tx, storedBundle(target), now);
    const bundle = { ...content, version, issuedAt: now.toISOString() };
    const skipped = DeploymentSummary.safeParse(target.summary).data?.skipped ?? [];
    return recordDeployment(tx, actor, keys, bundle, { kind: "rollback", rolledBackFrom: target.version, skipped });
  });
  const pushed = await pushToPortals(db, row, { urls, fetch: deps.fetch });
  return { ...toDeploymentOutput(row, pushed), pushed };
}
