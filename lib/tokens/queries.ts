import { and, desc, eq, isNull, type SQL } from "drizzle-orm";
import { apiTokens, users, type ApiToken } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { authorize } from "../auth/actor";
import { toIso } from "@core/zod/helpers";
import type { Ctx } from "../context";
import type { TokenScope } from "@core/auth/roles";
import type { TokenOutput } from "./schemas";

export function toTokenOutput(row: ApiToken, userEmail: string): TokenOutput {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes as TokenScope[],
    userId: row.userId,
    userEmail,
    expiresAt: toIso(row.expiresAt),
    lastUsedAt: toIso(row.lastUsedAt),
    revokedAt: toIso(row.revokedAt),
    createdAt: toIso(row.createdAt),
    status: row.revokedAt ? "revoked" : row.expiresAt && row.expiresAt <= new Date() ? "expired" : "active",
  };
}

export async function findTokenWithEmail(db: Queryable, id: string) {
  const [row] = await db
    .select({ token: apiTokens, email: users.email })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.id, id));
  return row;
}

export async function listTokens(
  { db, actor }: Ctx,
  options: { all: boolean; includeRevoked: boolean },
): Promise<TokenOutput[]> {
  authorize(actor, options.all ? "tokens.read-all" : "tokens.read-own");
  const conditions: SQL[] = [];
  if (!options.all) {
    // The bootstrap token has no user and therefore no tokens of its own.
    if (!actor.userId) return [];
    conditions.push(eq(apiTokens.userId, actor.userId));
  }
  if (!options.includeRevoked) conditions.push(isNull(apiTokens.revokedAt));
  const rows = await db
    .select({ token: apiTokens, email: users.email })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(...conditions))
    .orderBy(desc(apiTokens.createdAt));
  return rows.map((r) => toTokenOutput(r.token, r.email));
}
