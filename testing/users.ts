import { eq } from "drizzle-orm";
import { users } from "@/db/schema";
import type { Database } from "@/db/client";
import type { Actor } from "@/lib/auth/actor";
import { TOKEN_SCOPES, type Role, type TokenScope } from "@core/auth/roles";
import { createToken } from "@/lib/tokens/create-token";
import { BOOTSTRAP_ACTOR } from "@/lib/auth/actor";

/** Inserts a user with the given role and returns a session actor for it. */
export async function makeUser(db: Database, role: Role, email = `${role}-${crypto.randomUUID().slice(0, 8)}@example.test`): Promise<Actor & { kind: "user"; userId: string }> {
  // A local-mode user: the machine's owner vouches for the address, as local sign-in records it.
  const [row] = await db.insert(users).values({ email, emailVerified: true, role, authSource: "local" }).returning();
  return { kind: "user", userId: row!.id, email: row!.email, role, scopes: TOKEN_SCOPES };
}

/** Creates a real API token for a user (through the createToken verb) and returns its secret. */
export async function makeToken(db: Database, userId: string, scopes: TokenScope[] = ["read", "write"]): Promise<string> {
  const { secret } = await createToken({ db, actor: BOOTSTRAP_ACTOR }, { name: "test", userId, scopes });
  return secret;
}

/** A new user with the given role, and a real API token's secret for them: a caller of the API. */
export async function makeUserToken(db: Database, role: Role, scopes?: TokenScope[]): Promise<string> {
  return makeToken(db, (await makeUser(db, role)).userId, scopes);
}

export async function disableUser(db: Database, userId: string): Promise<void> {
  await db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, userId));
}
