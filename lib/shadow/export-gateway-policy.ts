import { authorize } from "@/lib/auth/actor";
import type { Ctx } from "@/lib/context";
import { ConflictError } from "@/lib/errors";
import { gatewayHttpPolicy, type GatewayRule } from "@core/shadow/exports";
import { compileBlocklist } from "./blocks";

/** The block list as a Cloudflare Zero Trust Gateway HTTP policy (the body for the rules API). */
export async function exportGatewayPolicy({ db, actor }: Ctx): Promise<GatewayRule> {
  authorize(actor, "shadow.read");
  const entries = await compileBlocklist(db);
  if (entries.length === 0) throw new ConflictError("The block list is empty: block a finding (or add a URL) first");
  return gatewayHttpPolicy(entries);
}
