import { describe, expect, it } from "vitest";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { auditLog } from "@/db/schema";
import { ForbiddenError } from "../errors";
import { makeUser } from "@/testing/users";
import { signInUser } from "../users/sign-in-user";
import { dailyActivity } from "./activity";
import { listAudit } from "./list-audit";

describe.each(testDatabases())("audit trail queries on $name", (database) => {
  const { db } = useTestDatabase(database);

  it("lists newest first, filters by action prefix, pages by id, and is refused to members", async () => {
    const security = await makeUser(db, "security");
    await db.insert(auditLog).values([
      { action: "team.create", actorLabel: "x", targetType: "team" },
      { action: "token.create", actorLabel: "x", targetType: "api_token" },
      { action: "token.revoke", actorLabel: "x", targetType: "api_token" },
    ]);
    const all = await listAudit({ db, actor: security });
    expect(all.map((r) => r.action).slice(0, 3)).toEqual(["token.revoke", "token.create", "team.create"]);
    const tokens = await listAudit({ db, actor: security }, { action: "token." });
    expect(tokens.map((r) => r.action)).toEqual(["token.revoke", "token.create"]);
    const older = await listAudit({ db, actor: security }, { before: all[0]!.id, limit: 1 });
    expect(older.map((r) => r.action)).toEqual(["token.create"]);
    // A LIKE wildcard in the filter is taken literally.
    expect(await listAudit({ db, actor: security }, { action: "%" })).toEqual([]);
    await expect(listAudit({ db, actor: await makeUser(db, "member") })).rejects.toThrow(ForbiddenError);
  });

  it("counts sign-ins and changes per UTC day, zero-filled", async () => {
    const admin = await makeUser(db, "admin");
    await signInUser(db, { source: "local", externalId: null, email: "daily@example.test", emailVerified: false, name: null, groups: [] }, { roleGroups: {}, defaultRole: "member", autoCreateTeams: false, unverifiedEmail: "refuse" });
    const days = await dailyActivity({ db, actor: admin }, 3);
    expect(days).toHaveLength(3);
    const today = new Date().toISOString().slice(0, 10);
    expect(days[2]!.day).toBe(today);
    expect(days[2]!.signIns).toBeGreaterThanOrEqual(1);
    expect(days[2]!.changes).toBeGreaterThanOrEqual(3);
    expect(days[0]!.signIns + days[0]!.changes).toBe(0);
    await expect(dailyActivity({ db, actor: await makeUser(db, "viewer") })).rejects.toThrow(ForbiddenError);
  });
});
