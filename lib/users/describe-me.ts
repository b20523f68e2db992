import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { loadUserOutput } from "./queries";
import type { MeOutput } from "./schemas";

export async function describeMe({ db, actor }: Ctx): Promise<MeOutput> {
  authorize(actor, "me.read");
  return {
    kind: actor.kind,
    user: actor.userId ? await loadUserOutput(db, actor.userId) : null,
    role: actor.role,
    scopes: [...actor.scopes],
    token: actor.kind === "token" ? { id: actor.tokenId, prefix: actor.tokenPrefix } : null,
  };
}
