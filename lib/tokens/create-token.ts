import { eq } from "drizzle-orm";
import { apiTokens, users } from "@/db/schema";
import { authorize } from "../auth/actor";
import { NotFoundError, ValidationError } from "../errors";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";
import { toTokenOutput } from "./queries";
import { CreateTokenInput, type CreateTokenOutput } from "./schemas";
import { generateTokenSecret, hashTokenSecret, visiblePrefix } from "@core/tokens/secret";

const DAY_MS = 86_400_000;

/** Creates an API token and returns its secret. The secret is not stored and cannot be shown again. */
export async function createToken({ db, actor }: Ctx, rawInput: unknown): Promise<CreateTokenOutput> {
  authorize(actor, "tokens.manage-own");
  const input = CreateTokenInput.parse(rawInput);
  const ownerId = input.userId ?? actor.userId;
  if (!ownerId) throw new ValidationError("The bootstrap token has no user of its own: pass userId", { userId: "is required" });
  if (ownerId !== actor.userId) authorize(actor, "tokens.create-for-others");
  const beyondActor = input.scopes.filter((s) => !actor.scopes.includes(s));
  if (beyondActor.length > 0) {
    throw new ValidationError(`A token cannot grant scopes its creator lacks: ${beyondActor.join(", ")}`, { scopes: "too broad" });
  }

  const secret = generateTokenSecret();
  const hash = await hashTokenSecret(secret);
  const expiresAt = input.expiresInDays === null ? null : new Date(Date.now() + input.expiresInDays * DAY_MS);

  return db.transaction(async (tx) => {
    const [owner] = await tx.select().from(users).where(eq(users.id, ownerId));
    if (!owner) throw new NotFoundError("No such user");
    if (owner.disabledAt) throw new ValidationError("That user is disabled", { userId: "is disabled" });
    const [row] = await tx
      .insert(apiTokens)
      .values({ userId: ownerId, name: input.name, prefix: visiblePrefix(secret), hash, scopes: input.scopes, expiresAt })
      .returning();
    if (!row) throw new Error("insert returned no row");
    await recordAudit(tx, actor, {
      action: "token.create",
      targetType: "api_token",
      targetId: row.id,
      details: { name: row.name, prefix: row.prefix, scopes: row.scopes, expiresAt: expiresAt?.toISOString() ?? null, userId: ownerId },
    });
    return { ...toTokenOutput(row, owner.email), secret };
  });
}
