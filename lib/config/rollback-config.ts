import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { NotFoundError } from "../errors";
import { withoutRevoked } from "./compile-bundle";
import { deploy } from "./deploy";
import type { PublishDeps } from "./publish-config";
import { loadDeployment, storedBundle } from "./record-deployment";
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
  const result = await deploy(db, actor, deps, async (tx, version) => {
    const target = await loadDeployment(tx, input.version);
    if (!target) throw new NotFoundError(`No published version ${input.version}`);
    const now = new Date();
    const content = await withoutRevoked(tx, storedBundle(target), now);
    const skipped = DeploymentSummary.safeParse(target.summary).data?.skipped ?? [];
    return { bundle: { ...content, version, issuedAt: now.toISOString() }, meta: { kind: "rollback", rolledBackFrom: target.version, skipped } };
  });
  return result!; // the plan is never null: a missing version throws
}
