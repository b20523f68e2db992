import { and, eq, inArray, isNull } from "drizzle-orm";
import { apiTokens } from "@/db/schema";
import { authorize, can } from "../auth/actor";
import { NotFoundError } from "../errors";
import { requireId } from "../ids";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";
import { findTokenWithEmail, toTokenOutput } from "./queries";
import type { TokenOutput } from "./schemas";

/**
 * Revokes a token at once, and every token it created (and they created), which never outlive it.
 * Revoking an already revoked token changes nothing and succeeds.
 */
export async function revokeToken({ db, actor }: Ctx, tokenId: string): Promise<TokenOutput> {
  authorize(actor, "tokens.manage-own");
  requireId(tokenId, "API token");
  return db.transaction(async (tx) => {
    const found = await findTokenWithEmail(tx, tokenId);
    const own = found && found.token.userId === actor.userId;
    // Someone else's token is "not found" unless you may revoke any token: existence is not leaked.
    if (!found || (!own && !can(actor, "tokens.revoke-any"))) throw new NotFoundError("No such API token");
    if (found.token.revokedAt) return toTokenOutput(found.token, found.email);
    const now = new Date();
    const [row] = await tx.update(apiTokens).set({ revokedAt: now }).where(eq(apiTokens.id, tokenId)).returning();
    if (!row) throw new NotFoundError("No such API token");
    // Tokens it created, and the tokens they created (a short chain: only administrators' tokens create tokens).
    const children: string[] = [];
    for (let parents = [tokenId]; parents.length > 0; ) {
      const next = await tx
        .update(apiTokens)
        .set({ revokedAt: now })
        .where(and(inArray(apiTokens.parentTokenId, parents), isNull(apiTokens.revokedAt)))
        .returning({ id: apiTokens.id });
      parents = next.map((t) => t.id);
      children.push(...parents);
    }
    await recordAudit(tx, actor, {
      action: "token.revoke",
      targetType: "api_token",
      targetId: row.id,
      details: { name: row.name, prefix: row.prefix, userId: row.userId, ...(children.length ? { alsoRevoked: children } : {}) },
    });
    return toTokenOutput(row, found.email);
  });
}
