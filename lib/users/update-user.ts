import { and, eq, isNull, ne, sql } from "drizzle-orm";
import { users } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { authorize } from "../auth/actor";
import { ConflictError, NotFoundError } from "../errors";
import { requireId } from "../ids";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";
import { loadUserOutput } from "./queries";
import { UpdateUserInput, type UserOutput } from "./schemas";

async function otherActiveAdmins(tx: Queryable, userId: string): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(users)
    .where(and(eq(users.role, "admin"), isNull(users.disabledAt), ne(users.id, userId)));
  return row?.n ?? 0;
}

/** Changes a user's name, role or disabled state. The last active admin cannot be demoted or disabled. */
export async function updateUser({ db, actor }: Ctx, userId: string, rawInput: unknown): Promise<UserOutput> {
  authorize(actor, "users.manage");
  requireId(userId, "user");
  const input = UpdateUserInput.parse(rawInput);
  return db.transaction(async (tx) => {
    // Row lock: two concurrent demotions of the last two admins must not both pass the check below.
    await tx.execute(sql`select id from ${users} where ${users.role} = 'admin' for update`);
    const [before] = await tx.select().from(users).where(eq(users.id, userId));
    if (!before) throw new NotFoundError("No such user");
    const losesAdmin =
      before.role === "admin" && !before.disabledAt && ((input.role && input.role !== "admin") || input.disabled === true);
    if (losesAdmin && (await otherActiveAdmins(tx, userId)) === 0) {
      throw new ConflictError("This is the last active admin: make someone else admin first");
    }
    const changes: Partial<typeof users.$inferInsert> = {};
    if (input.name !== undefined) changes.name = input.name;
    if (input.role !== undefined) changes.role = input.role;
    if (input.disabled !== undefined) changes.disabledAt = input.disabled ? (before.disabledAt ?? new Date()) : null;
    await tx.update(users).set(changes).where(eq(users.id, userId));
    const details: Record<string, unknown> = {};
    if (input.role !== undefined && input.role !== before.role) details.role = { from: before.role, to: input.role };
    if (input.disabled !== undefined && input.disabled !== (before.disabledAt !== null)) details.disabled = input.disabled;
    if (input.name !== undefined && input.name !== before.name) details.name = { from: before.name, to: input.name };
    if (Object.keys(details).length > 0) {
      await recordAudit(tx, actor, { action: "user.update", targetType: "user", targetId: userId, details: { email: before.email, ...details } });
    }
    return loadUserOutput(tx, userId);
  });
}
