import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, memberships, teams } from "@/db/schema";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { BOOTSTRAP_ACTOR } from "./actor";
import { verifyStatement } from "@core/bundle/sign";
import { ForbiddenError, ValidationError } from "@/lib/errors";
import { loadEdgeKeys } from "@/lib/config/edge-keys";
import { makeUser } from "@/testing/users";
import { CONSENT_STATEMENT } from "@core/edge/consent";
import { answerConsent } from "./answer-consent";

const PORTAL = "http://127.0.0.1:8787";

describe.each(testDatabases())("OAuth consent for the portal on $name", (database) => {
  const { db } = useTestDatabase(database);
  const saved = { ...process.env };
  beforeAll(() => {
    process.env.PORTCULLIS_DATA_DIR = mkdtempSync(path.join(tmpdir(), "consent-"));
    process.env.PORTCULLIS_PORTAL_URLS = PORTAL;
  });
  afterAll(() => {
    process.env = saved;
  });

  it("signs who approved (id, e-mail, teams) for this request and this portal, and audits it", async () => {
    const member = await makeUser(db, "member");
    const [team] = await db.insert(teams).values({ slug: `t-${crypto.randomUUID().slice(0, 8)}`, name: "T" }).returning();
    await db.insert(memberships).values({ userId: member.userId, teamId: team!.id, role: "member" });
    const state = "pending-request-0123456789";
    const { redirectTo } = await answerConsent({ db, actor: member }, { state, returnTo: `${PORTAL}/oauth/callback`, client: "Claude Code", redirect: "localhost:33418", decision: "allow" });
    const url = new URL(redirectTo);
    expect(url.origin + url.pathname).toBe(`${PORTAL}/oauth/callback`);
    expect(url.searchParams.get("state")).toBe(state);
    const keys = await loadEdgeKeys();
    const payload = await verifyStatement(url.searchParams.get("assertion")!, CONSENT_STATEMENT, keys.publicKeys);
    expect(payload).toMatchObject({ state, userId: member.userId, email: member.email, teamIds: [team!.id], aud: PORTAL });
    // What the page showed is signed too, so the portal can refuse a link edited to show another client.
    expect(payload).toMatchObject({ client: "Claude Code", redirectHost: "localhost:33418" });
    // Not valid as anything else, and not after it expires.
    expect(await verifyStatement(url.searchParams.get("assertion")!, "other-kind", keys.publicKeys)).toBeNull();
    expect(await verifyStatement(url.searchParams.get("assertion")!, CONSENT_STATEMENT, keys.publicKeys, Math.floor(Date.now() / 1000) + 600)).toBeNull();
    const rows = await db.select().from(auditLog);
    expect(rows.some((r) => r.action === "portal.client_authorized" && r.actorId === member.userId && r.details.client === "Claude Code")).toBe(true);
  });

  it("refuses a viewer: viewers may not use the portal, so they cannot connect a client to it", async () => {
    const viewer = await makeUser(db, "viewer");
    await expect(answerConsent({ db, actor: viewer }, { state: "pending-request-viewer0123", returnTo: `${PORTAL}/oauth/callback`, decision: "allow" })).rejects.toThrow(ForbiddenError);
    expect((await db.select().from(auditLog)).some((r) => r.actorId === viewer.userId)).toBe(false);
  });

  it("tells the portal when the person denies, with no statement", async () => {
    const member = await makeUser(db, "member");
    const { redirectTo } = await answerConsent({ db, actor: member }, { state: "pending-request-abcdefghij", returnTo: `${PORTAL}/oauth/callback`, decision: "deny" });
    const url = new URL(redirectTo);
    expect(url.searchParams.get("error")).toBe("access_denied");
    expect(url.searchParams.has("assertion")).toBe(false);
  });

  it("never sends a statement to an origin that is not a configured portal, and only people can consent", async () => {
    const member = await makeUser(db, "member");
    for (const returnTo of ["https://evil.example/oauth/callback", `${PORTAL}/elsewhere`, `${PORTAL}/oauth/callback?x=1`]) {
      await expect(answerConsent({ db, actor: member }, { state: "pending-request-0123456789", returnTo, decision: "allow" })).rejects.toThrow(ValidationError);
    }
    await expect(answerConsent({ db, actor: member }, { state: "short", returnTo: `${PORTAL}/oauth/callback`, decision: "allow" })).rejects.toThrow();
    await expect(answerConsent({ db, actor: BOOTSTRAP_ACTOR }, { state: "pending-request-0123456789", returnTo: `${PORTAL}/oauth/callback`, decision: "allow" })).rejects.toThrow(ForbiddenError);
  });
});
