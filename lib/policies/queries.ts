import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import type { PolicyOutput } from "./schemas";
import { listPolicyRows, policyTable, subjectNames, toPolicyOutput } from "./store";

/** Every policy in decision order (priority, then deny before allow). */
export async function listPolicies({ db, actor }: Ctx): Promise<PolicyOutput[]> {
  authorize(actor, "policies.read");
  const rows = await listPolicyRows(db);
  const names = await subjectNames(db, rows);
  return rows.map((r) => toPolicyOutput(r, names));
}

export async function getPolicy({ db, actor }: Ctx, id: string): Promise<PolicyOutput> {
  authorize(actor, "policies.read");
  return policyTable.read(db, id);
}
