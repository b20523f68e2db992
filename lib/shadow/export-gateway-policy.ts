import { authorize } from "@/lib/auth/actor";
import type { Ctx } from "@/lib/context";
import { ConflictError } from "@/lib/errors";
import { gatewayHttpPolicies, type GatewayRule } from "@core/shadow/exports";
import { compileBlocklist } from "./blocks";

/**
 * The block list as Cloudflare Zero Trust Gateway HTTP rules, each a body for the rules API: the
 * entries blocking now in a block rule, those still in their log-first rollout in a log (Allow) rule.
 */
export async function exportGatewayPolicy({ db, actor }: Ctx, now = new Date()): Promise<{ rules: GatewayRule[] }> {
  authorize(actor, "shadow.read");
  const entries = await compileBlocklist(db);
  if (entries.length === 0) throw new ConflictError("The block list is empty: block a finding (or add a URL) first");
  return { rules: gatewayHttpPolicies(entries, now.getTime()) };
}
