import { eq } from "drizzle-orm";
import { apiTokens, users } from "@/db/schema";
import { authorize } from "../auth/actor";
import { ForbiddenError, NotFoundError, ValidationError } from "../errors";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";
import { toTokenOutput } from "./queries";
import { CreateTokenInput, type CreateTokenOutput } from "./schemas";
import { generateTokenSecret, hashTokenSecret, visiblePrefix } from "@core/tokens/secret";

const DAY_MS = 86_400_000;

/** `PORTCULLIS_TOKEN_MAX_DAYS`: the longest any API token may live (unset: up to 3650 days, or no expiry). */
export function tokenMaxDays(env: Record<string, string | undefined> = process.env): number | null {
  const raw = env.PORTCULLIS_TOKEN_MAX_DAYS?.trim();
  if (!raw) return null;
  const days = Number(raw);
  if (!Number.isInteger(days) || days < 1) throw new Error("PORTCULLIS_TOKEN_MAX_DAYS must be a whole number of days (at least 1)");
  return days;
}

/**
 * Creates an API token and returns its secret. The secret is not stored and cannot be shown again.
 * People create tokens from a console session; an API token may create tokens only if it is an
 * administrator's (automation), and then the new token never outlives it: it expires no later, and
 * revoking the parent revokes it (see revoke-token). A stolen token cannot mint a lasting one.
 */
export async function createToken({ db, actor }: Ctx, rawInput: unknown): Promise<CreateTokenOutput> {
  authorize(actor, "tokens.manage-own");
  if (actor.kind === "token" && actor.role !== "admin") {
    throw new ForbiddenError("An API token cannot create tokens: sign in to the console to create one");
  }
  const input = CreateTokenInput.parse(rawInput);
  const maxDays = tokenMaxDays();
  if (maxDays !== null && (input.expiresInDays === null || input.expiresInDays > maxDays)) {
    throw new ValidationError(`API tokens may live at most ${maxDays} days here`, { expiresInDays: `at most ${maxDays}` });
  }
  const ownerId = input.userId ?? actor.userId;
  if (!ownerId) throw new ValidationError("The bootstrap token has no user of its own: pass userId", { userId: "is required" });
  if (ownerId !== actor.userId) authorize(actor, "tokens.create-for-others");
  const beyondActor = input.scopes.filter((s) => !actor.scopes.includes(s));
  if (beyondActor.length > 0) {
    throw new ValidationError(`A token cannot grant scopes its creator lacks: ${beyondActor.join(", ")}`, { scopes: "too broad" });
  }

  const secret = generateTokenSecret();
  const hash = await hashTokenSecret(secret);
  const requested = input.expiresInDays === null ? null : new Date(Date.now() + input.expiresInDays * DAY_MS);

  return db.transaction(async (tx) => {
    const parentTokenId = actor.kind === "token" ? actor.tokenId : null;
    let expiresAt = requested;
    if (parentTokenId) {
      const [parent] = await tx.select({ expiresAt: apiTokens.expiresAt }).from(apiTokens).where(eq(apiTokens.id, parentTokenId));
      if (parent?.expiresAt && (expiresAt === null || expiresAt > parent.expiresAt)) expiresAt = parent.expiresAt;
    }
    const [owner] = await tx.select().from(users).where(eq(users.id, ownerId));
    if (!owner) throw new NotFoundError("No such user");
    if (owner.disabledAt) throw new ValidationError("That user is disabled", { userId: "is disabled" });
    const [row] = await tx
      .insert(apiTokens)
      .values({ userId: ownerId, name: input.name, prefix: visiblePrefix(secret), hash, scopes: input.scopes, expiresAt, parentTokenId })
      .returning();
    if (!row) throw new Error("insert returned no row");
    await recordAudit(tx, actor, {
      action: "token.create",
      targetType: "api_token",
      targetId: row.id,
      details: { name: row.name, prefix: row.prefix, scopes: row.scopes, expiresAt: expiresAt?.toISOString() ?? null, userId: ownerId, ...(parentTokenId ? { parentTokenId } : {}) },
    });
    return { ...toTokenOutput(row, owner.email), secret };
  });
}
