import { cache } from "react";
import { eq } from "drizzle-orm";
import { users } from "@/db/schema";
import { getDb } from "@/db/client";
import type { Actor } from "./actor";
import { auth } from "./config";
import { TOKEN_SCOPES } from "@core/auth/roles";

/**
 * The signed-in person for this request, read fresh from the database so a role change or a
 * disabled account takes effect at once. Null when nobody (or a disabled user) is signed in.
 */
export const currentActor = cache(async (): Promise<Actor | null> => {
  const session = await auth();
  const uid = session?.user?.id;
  if (!uid) return null;
  const db = await getDb();
  const [user] = await db.select().from(users).where(eq(users.id, uid));
  if (!user || user.disabledAt) return null;
  return { kind: "user", userId: user.id, email: user.email, role: user.role, scopes: TOKEN_SCOPES };
});
