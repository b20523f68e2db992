import { eq, sql } from "drizzle-orm";
import { policies, type Policy } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { authorize } from "../auth/actor";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";
import { ConflictError, NotFoundError } from "../errors";
import { requireId } from "../ids";
import { PolicyInput, UpdatePolicyInput, type PolicyOutput } from "./schemas";
import { listPolicyRows, resolvePolicyValues, subjectNames, toPolicyInput, toPolicyOutput } from "./store";

/**
 * Access policies: list, read, create, edit, delete. Each change is audited in its transaction and
 * reaches the edge with the next publish (the Portal page's impact preview shows what it changes).
 */

export async function listPolicies({ db, actor }: Ctx): Promise<PolicyOutput[]> {
  authorize(actor, "policies.read");
  const rows = await listPolicyRows(db);
  const names = await subjectNames(db, rows);
  return rows.map((r) => toPolicyOutput(r, names));
}

async function loadRow(db: Queryable, id: string): Promise<Policy> {
  requireId(id, "policy");
  const [row] = await db.select().from(policies).where(eq(policies.id, id));
  if (!row) throw new NotFoundError("No such policy");
  return row;
}

async function output(db: Queryable, row: Policy): Promise<PolicyOutput> {
  return toPolicyOutput(row, await subjectNames(db, [row]));
}

export async function getPolicy({ db, actor }: Ctx, id: string): Promise<PolicyOutput> {
  authorize(actor, "policies.read");
  return output(db, await loadRow(db, id));
}

async function nameTaken(db: Queryable, name: string, except?: string): Promise<boolean> {
  const [row] = await db.select({ id: policies.id }).from(policies).where(sql`lower(${policies.name}) = ${name.toLowerCase()}`);
  return !!row && row.id !== except;
}

export async function createPolicy({ db, actor }: Ctx, rawInput: unknown): Promise<PolicyOutput> {
  authorize(actor, "policies.manage");
  const input = PolicyInput.parse(rawInput);
  return db.transaction(async (tx) => {
    if (await nameTaken(tx, input.name)) throw new ConflictError(`A policy named "${input.name}" already exists`);
    const [values] = await resolvePolicyValues(tx, [input]);
    const [row] = await tx
      .insert(policies)
      .values({ ...values!, createdBy: actor.userId })
      .returning();
    const out = await output(tx, row!);
    await recordAudit(tx, actor, { action: "policy.create", targetType: "policy", targetId: row!.id, details: { policy: toPolicyInput(out) } });
    return out;
  });
}

export async function updatePolicy({ db, actor }: Ctx, id: string, rawInput: unknown): Promise<PolicyOutput> {
  authorize(actor, "policies.manage");
  const patch = UpdatePolicyInput.parse(rawInput);
  return db.transaction(async (tx) => {
    const before = await output(tx, await loadRow(tx, id));
    const input = PolicyInput.parse({ ...toPolicyInput(before), ...patch });
    if (input.name.toLowerCase() !== before.name.toLowerCase() && (await nameTaken(tx, input.name, id))) {
      throw new ConflictError(`A policy named "${input.name}" already exists`);
    }
    const [values] = await resolvePolicyValues(tx, [input]);
    const [row] = await tx
      .update(policies)
      .set({ ...values!, updatedAt: new Date() })
      .where(eq(policies.id, id))
      .returning();
    const out = await output(tx, row!);
    await recordAudit(tx, actor, { action: "policy.update", targetType: "policy", targetId: id, details: { before: toPolicyInput(before), after: toPolicyInput(out) } });
    return out;
  });
}

export async function deletePolicy({ db, actor }: Ctx, id: string): Promise<PolicyOutput> {
  authorize(actor, "policies.manage");
  return db.transaction(async (tx) => {
    const before = await output(tx, await loadRow(tx, id));
    await tx.delete(policies).where(eq(policies.id, id));
    await recordAudit(tx, actor, { action: "policy.delete", targetType: "policy", targetId: id, details: { policy: toPolicyInput(before) } });
    return before;
  });
}
