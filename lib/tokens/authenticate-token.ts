import { and, eq, isNull, lt, or } from "drizzle-orm";
import { apiTokens, users } from "@/db/schema";
import type { Database } from "@/db/client";
import { BOOTSTRAP_ACTOR, type Actor } from "../auth/actor";
import { isRole, type TokenScope } from "@core/auth/roles";
import { UnauthenticatedError } from "../errors";
import { digestsEqual, hashTokenSecret, looksLikeTokenSecret } from "@core/tokens/secret";

/** last_used_at is written at most this often per token, so reads do not become writes. */
const LAST_USED_GRANULARITY_MS = 60_000;
/** A bootstrap token shorter than this is ignored: it would be guessable. */
export const MIN_BOOTSTRAP_TOKEN_LENGTH = 24;

function bearerFrom(header: string | null): string {
  if (!header) throw new UnauthenticatedError("Missing Authorization header: send `Authorization: Bearer <api token>`");
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw new UnauthenticatedError("Authorization header must be `Bearer <api token>`");
  return match[1];
}

/** Resolves `Authorization: Bearer …` to an actor, or throws UnauthenticatedError. */
export async function authenticateBearer(
  db: Database,
  authorization: string | null,
  bootstrapToken: string | undefined = process.env.PORTCULLIS_ADMIN_TOKEN,
): Promise<Actor> {
  const presented = bearerFrom(authorization);
  const presentedHash = await hashTokenSecret(presented);

  if (bootstrapToken && bootstrapToken.length >= MIN_BOOTSTRAP_TOKEN_LENGTH) {
    if (digestsEqual(presentedHash, await hashTokenSecret(bootstrapToken))) return BOOTSTRAP_ACTOR;
  }
  const invalid = new UnauthenticatedError("Invalid, expired or revoked API token");
  if (!looksLikeTokenSecret(presented)) throw invalid;

  const [row] = await db
    .select({ token: apiTokens, user: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.hash, presentedHash));
  const now = new Date();
  if (!row || row.token.revokedAt || row.user.disabledAt || (row.token.expiresAt && row.token.expiresAt <= now)) throw invalid;
  if (!isRole(row.user.role)) throw invalid;

  const stale = new Date(now.getTime() - LAST_USED_GRANULARITY_MS);
  await db
    .update(apiTokens)
    .set({ lastUsedAt: now })
    .where(and(eq(apiTokens.id, row.token.id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, stale))));

  return {
    kind: "token",
    userId: row.user.id,
    email: row.user.email,
    role: row.user.role,
    scopes: row.token.scopes as TokenScope[],
    tokenId: row.token.id,
    tokenPrefix: row.token.prefix,
  };
}
