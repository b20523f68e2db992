import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { PolicyInput, UpdatePolicyInput, type PolicyOutput } from "./schemas";
import { policyTable, resolvePolicyValues, toPolicyInput } from "./store";

/** Changes the fields sent; the rest stays as it was. */
export async function updatePolicy({ db, actor }: Ctx, id: string, rawInput: unknown): Promise<PolicyOutput> {
  authorize(actor, "policies.manage");
  const patch = UpdatePolicyInput.parse(rawInput);
  return db.transaction(async (tx) => {
    const before = await policyTable.read(tx, id);
    const input = PolicyInput.parse({ ...toPolicyInput(before), ...patch });
    await policyTable.assertNameFree(tx, input.name, id);
    const [values] = await resolvePolicyValues(tx, [input]);
    return policyTable.update(tx, actor, id, before, { ...values!, updatedAt: new Date() });
  });
}
