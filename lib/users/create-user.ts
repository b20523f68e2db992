import { users } from "@/db/schema";
import { authorize } from "../auth/actor";
import { ConflictError } from "../errors";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";
import { loadUserOutput } from "./queries";
import { CreateUserInput, type UserOutput } from "./schemas";

/**
 * Pre-provisions a user (a person before their first sign-in, or a service account for API tokens).
 * A person signing in later with the same e-mail address takes over this row and its role.
 */
export async function createUser({ db, actor }: Ctx, rawInput: unknown): Promise<UserOutput> {
  authorize(actor, "users.manage");
  const input = CreateUserInput.parse(rawInput);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(users)
      // The administrator who creates the user vouches for the address.
      .values({ email: input.email, emailVerified: true, name: input.name ?? null, role: input.role, authSource: "provisioned" })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new ConflictError(`A user with e-mail ${input.email} already exists`);
    await recordAudit(tx, actor, { action: "user.create", targetType: "user", targetId: row.id, details: { email: row.email, role: row.role } });
    return loadUserOutput(tx, row.id);
  });
}
