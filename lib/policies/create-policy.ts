import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { PolicyInput, type PolicyOutput } from "./schemas";
import { policyTable, resolvePolicyValues } from "./store";

/** Creates an access policy; it reaches the edge with the next publish (the Portal page's impact preview shows what it changes). */
export async function createPolicy({ db, actor }: Ctx, rawInput: unknown): Promise<PolicyOutput> {
  authorize(actor, "policies.manage");
  const input = PolicyInput.parse(rawInput);
  return db.transaction(async (tx) => {
    await policyTable.assertNameFree(tx, input.name);
    const [values] = await resolvePolicyValues(tx, [input]);
    return policyTable.insert(tx, actor, { ...values!, createdBy: actor.userId });
  });
}
