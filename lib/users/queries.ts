import { asc, eq, inArray } from "drizzle-orm";
import { memberships, teams, users, type User } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { authorize } from "../auth/actor";
import { toIso } from "@core/zod/helpers";
import { NotFoundError } from "../errors";
import { requireId } from "../ids";
import type { Ctx } from "../context";
import type { UserOutput } from "./schemas";

async function teamsByUser(db: Queryable, userIds: string[]) {
  const byUser = new Map<string, UserOutput["teams"]>();
  if (userIds.length === 0) return byUser;
  const rows = await db
    .select({ userId: memberships.userId, id: teams.id, slug: teams.slug, name: teams.name, role: memberships.role, source: memberships.source })
    .from(memberships)
    .innerJoin(teams, eq(teams.id, memberships.teamId))
    .where(inArray(memberships.userId, userIds))
    .orderBy(asc(teams.name));
  for (const { userId, ...team } of rows) byUser.set(userId, [...(byUser.get(userId) ?? []), team]);
  return byUser;
}

export async function toUserOutputs(db: Queryable, rows: User[]): Promise<UserOutput[]> {
  const teamMap = await teamsByUser(db, rows.map((u) => u.id));
  return rows.map((u) => ({
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    authSource: u.authSource,
    disabled: u.disabledAt !== null,
    createdAt: toIso(u.createdAt),
    lastSignInAt: toIso(u.lastSignInAt),
    teams: teamMap.get(u.id) ?? [],
  }));
}

export async function loadUserOutput(db: Queryable, id: string): Promise<UserOutput> {
  requireId(id, "user");
  const [row] = await db.select().from(users).where(eq(users.id, id));
  if (!row) throw new NotFoundError("No such user");
  const [out] = await toUserOutputs(db, [row]);
  return out!;
}

export async function listUsers({ db, actor }: Ctx): Promise<UserOutput[]> {
  authorize(actor, "users.read");
  return toUserOutputs(db, await db.select().from(users).orderBy(asc(users.email)));
}

export async function getUser({ db, actor }: Ctx, id: string): Promise<UserOutput> {
  authorize(actor, "users.read");
  return loadUserOutput(db, id);
}
