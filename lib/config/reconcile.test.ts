/**
 * The reconcile loop against a real portal in workerd: a version the portal missed (the push never
 * reached it) arrives with the next pass — a revoked token stops working there although the push
 * of the revocation was lost — the running version's lease is renewed before it expires, and a
 * portal that stays unreachable is retried with backoff and alerted once.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, portalStates } from "@/db/schema";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { makeToken, makeUser } from "@/testing/users";
import { startPortal, type PortalUnderTest } from "@/testing/portal";
import { generateEdgeSecret, parseEdgeSecrets } from "@core/edge/secret";
import { revokeToken } from "../tokens/revoke-token";
import { BOOTSTRAP_ACTOR } from "../auth/actor";
import type { EdgeKeys } from "./edge-keys";
import { publishConfig } from "./publish-config";
import { backoffMs, reconcilePortals } from "./reconcile";
import { syncIdentities } from "./sync-identities";
import { portalStatus } from "./portal-status";

const INITIALIZE = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } };

describe.each(testDatabases())("reconciling portals on $name", (database) => {
  const { db } = useTestDatabase(database);
  let portal: PortalUnderTest;
  let keys: EdgeKeys;

  beforeAll(async () => {
    const edgeSecret = generateEdgeSecret();
    portal = await startPortal({ consoleUrl: "http://127.0.0.1:9", edgeSecret });
    keys = {
      signing: { privateKeyJwk: portal.keys.privateKeyJwk, keyId: portal.keys.keyId, source: "env" },
      publicKeys: { [portal.keys.keyId]: portal.keys.publicKeyJwk },
      edgeSecrets: await parseEdgeSecrets(edgeSecret),
    };
  }, 120_000);
  afterAll(async () => {
    await portal?.stop();
  });

  const initialize = (token: string) =>
    fetch(`${portal.origin}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify(INITIALIZE),
    });
  const reconcile = (now?: Date, urls = [portal.origin]) => reconcilePortals(db, { urls, keys, now, env: { PORTCULLIS_BUNDLE_TTL_HOURS: "12" } });

  it("pushes what a portal missed, so a revocation whose push was lost still arrives", async () => {
    const admin = await makeUser(db, "admin");
    const member = await makeUser(db, "member");
    const token = await makeToken(db, member.userId);
    // Published while the portal was out of reach: it runs nothing.
    const first = await publishConfig({ db, actor: admin }, { keys, portalUrls: [] });
    expect((await initialize(token)).status).toBe(503);

    const [pass] = await reconcile();
    expect(pass).toMatchObject({ action: "pushed", runningVersion: first.version, latestVersion: first.version });
    expect((await initialize(token)).status).toBe(200);

    // The token is revoked; the identity push is lost. The portal still honours it…
    const [row] = await db.query.apiTokens.findMany({ where: (t, { eq: is }) => is(t.userId, member.userId) });
    await revokeToken({ db, actor: BOOTSTRAP_ACTOR }, row!.id);
    const revoked = await syncIdentities({ db, actor: BOOTSTRAP_ACTOR }, { keys, portalUrls: [] });
    expect(revoked).not.toBeNull();
    expect((await initialize(token)).status).toBe(200);
    // …until the next pass.
    expect((await reconcile())[0]).toMatchObject({ action: "pushed", runningVersion: revoked!.version });
    expect((await initialize(token)).status).toBe(401);
    expect((await reconcile())[0]).toMatchObject({ action: "in-step" });
    const [state] = await db.select().from(portalStates).where(eq(portalStates.portalUrl, portal.origin));
    expect(state).toMatchObject({ runningVersion: revoked!.version, latestVersion: revoked!.version, behindSince: null, lastError: null, failures: 0 });
  });

  it("renews the running version's lease once less than three quarters of the TTL is left", async () => {
    const before = await portalStatus(portal.origin, keys.edgeSecrets, fetch, 5_000);
    expect(before?.expiresAt).toBeTruthy();
    // Not due yet.
    expect((await reconcile())[0]!.action).toBe("in-step");
    // Four hours later (of twelve): due; the lease runs twelve hours from then.
    const later = new Date(Date.now() + 4 * 3_600_000);
    const [renewed] = await reconcile(later);
    expect(renewed!.action).toBe("renewed");
    const after = await portalStatus(portal.origin, keys.edgeSecrets, fetch, 5_000);
    expect(Date.parse(after!.expiresAt!)).toBe(Math.floor((later.getTime() + 12 * 3_600_000) / 1000) * 1000);
    expect(Date.parse(after!.expiresAt!)).toBeGreaterThan(Date.parse(before!.expiresAt!));
  });

  it("retries an unreachable portal with backoff and alerts once per lag episode", async () => {
    const dead = "http://127.0.0.1:9";
    const t0 = new Date();
    const [first] = await reconcile(t0, [dead]);
    expect(first).toMatchObject({ action: "failed", runningVersion: null, message: expect.stringContaining("unreachable") });
    // Within the backoff: not even asked.
    expect((await reconcile(new Date(t0.getTime() + backoffMs(1) - 1), [dead]))[0]!.action).toBe("waiting");
    // Six minutes on, still down: alerted (audit + log), once.
    await reconcile(new Date(t0.getTime() + 6 * 60_000), [dead]);
    await reconcile(new Date(t0.getTime() + 20 * 60_000), [dead]);
    const alerts = await db.select().from(auditLog).where(and(eq(auditLog.action, "portal.lagging")));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.details).toMatchObject({ portal: dead, runningVersion: null });
    const [state] = await db.select().from(portalStates).where(eq(portalStates.portalUrl, dead));
    expect(state!.failures).toBe(3);
    expect(state!.behindSince?.getTime()).toBe(t0.getTime());
    expect(state!.nextAttemptAt!.getTime()).toBe(t0.getTime() + 20 * 60_000 + backoffMs(3));
  });
});
