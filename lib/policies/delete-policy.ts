import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import type { PolicyOutput } from "./schemas";
import { policyTable } from "./store";

/** Deletes an access policy and answers what it was. */
export async function deletePolicy({ db, actor }: Ctx, id: string): Promise<PolicyOutput> {
  authorize(actor, "policies.manage");
  return db.transaction((tx) => policyTable.remove(tx, actor, id));
}
