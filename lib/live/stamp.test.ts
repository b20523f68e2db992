import { describe, expect, it } from "vitest";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { mcpEvents } from "@/db/schema";
import { makeEvent } from "@/testing/events";
import { makeUser } from "@/testing/users";
import { ForbiddenError } from "@/lib/errors";
import { liveStamp } from "./stamp";
import { BOOTSTRAP_ACTOR } from "@/lib/auth/actor";
import { createTeam } from "@/lib/teams/create-team";
import { setMembership } from "@/lib/teams/set-membership";

describe.each(testDatabases())("live pages' stamp on $name", (database) => {
  const { db } = useTestDatabase(database);

  it("changes when an event the caller may see arrives, and only then", async () => {
    const security = await makeUser(db, "security");
    const member = await makeUser(db, "member");
    const stamp = async (actor: typeof member) => (await liveStamp({ db, actor })).stamp;
    const [sec0, mem0] = [await stamp(security), await stamp(member)];

    // Someone else's call: security's pages change, the member's do not (nothing of others' activity leaks).
    await db.insert(mcpEvents).values(makeEvent({ time: "2031-02-01T00:00:00.000Z", userId: crypto.randomUUID() }));
    const sec1 = await stamp(security);
    expect(sec1).not.toBe(sec0);
    expect(await stamp(member)).toBe(mem0);

    // The member's own call: both change.
    await db.insert(mcpEvents).values(makeEvent({ time: "2031-02-02T00:00:00.000Z", userId: member.userId }));
    expect(await stamp(member)).not.toBe(mem0);
    expect(await stamp(security)).not.toBe(sec1);

    await expect(liveStamp({ db, actor: { ...member, scopes: ["write"] } })).rejects.toThrow(ForbiddenError);
  });

  it("changes for a team's lead when a member of the team calls today", async () => {
    const lead = await makeUser(db, "member");
    const team = await createTeam({ db, actor: BOOTSTRAP_ACTOR }, { slug: `live-${crypto.randomUUID().slice(0, 6)}`, name: "Live" });
    await setMembership({ db, actor: BOOTSTRAP_ACTOR }, team.id, lead.userId, { role: "lead" });
    const before = (await liveStamp({ db, actor: lead })).stamp;
    await db.insert(mcpEvents).values(makeEvent({ time: new Date().toISOString(), userId: crypto.randomUUID(), teamId: team.id }));
    expect((await liveStamp({ db, actor: lead })).stamp).not.toBe(before);
  });
});
