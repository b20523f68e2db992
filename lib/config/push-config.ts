import { authorize } from "../auth/actor";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";
import { ConflictError } from "../errors";
import { edgeSecrets, portalUrls, type EdgeKeys } from "./edge-keys";
import { pushToPortals } from "./push";
import { latestDeployment } from "./record-deployment";
import type { PushOutput } from "./schemas";

/**
 * Sends the latest deployment to every portal again (after a portal was down, or a new one was
 * added). Nothing is re-signed: a portal already running this version refuses it as not newer,
 * which the ack records.
 */
export async function pushConfig({ db, actor }: Ctx, deps: { keys?: Pick<EdgeKeys, "edgeSecrets">; portalUrls?: string[]; fetch?: typeof fetch } = {}): Promise<PushOutput> {
  authorize(actor, "config.publish");
  const latest = await latestDeployment(db);
  if (!latest) throw new ConflictError("Nothing has been published yet: publish first");
  const urls = deps.portalUrls ?? portalUrls();
  const secrets = deps.keys?.edgeSecrets ?? (await edgeSecrets());
  const pushed = await pushToPortals(db, latest, { urls, secrets, fetch: deps.fetch });
  await recordAudit(db, actor, {
    action: "config.push",
    targetType: "config_bundle",
    targetId: String(latest.version),
    details: { version: latest.version, acks: pushed.map((a) => ({ portalUrl: a.portalUrl, status: a.status })) },
  });
  return { version: latest.version, pushed };
}
