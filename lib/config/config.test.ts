import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import type { Database } from "@/db/client";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { apiTokens, auditLog, bundleAcks, bundleDeployments, serverAccessGrants, servers, serverTools, users } from "@/db/schema";
import { BOOTSTRAP_ACTOR } from "../auth/actor";
import { ConfigBundle } from "@core/bundle/schema";
import { generateSigningKeyPair, verifySignedBundle, type SignedBundle } from "@core/bundle/sign";
import { edgeCredentialAad } from "@core/edge/credential";
import { EDGE_SIGNATURE_HEADER, generateEdgeSecret, openAtEdge, parseEdgeSecrets, verifyEdgeRequest, type EdgeSecret } from "@core/edge/secret";
import { ConflictError, ForbiddenError, NotFoundError } from "../errors";
import type { EdgeKeys } from "./edge-keys";
import { sealCredential, type StoredCredential } from "../servers/credentials";
import { createTeam } from "../teams/create-team";
import { setMembership } from "@/lib/teams/set-membership";
import { makeToken, makeUser } from "@/testing/users";
import { revokeToken } from "../tokens/revoke-token";
import { authenticateBearer } from "../tokens/authenticate-token";
import { compileBundle, bundleContentHash } from "./compile-bundle";
import { publishConfig } from "./publish-config";
import { pushConfig } from "./push-config";
import { getConfigDiff, getDeployment, getPortalOverview, listDeployments } from "./queries";
import { rollbackConfig } from "./rollback-config";
import { syncIdentities } from "./sync-identities";

// Upstream credentials at rest use the console's key ring; keep the test's own out of .data/.
process.env.PORTCULLIS_ENCRYPTION_KEYS = `test1:${Buffer.alloc(32, 7).toString("base64")}`;

const uniq = () => Math.random().toString(36).slice(2, 8);
const hex = (c: string) => c.repeat(64);

async function makeKeys(): Promise<EdgeKeys> {
  const pair = await generateSigningKeyPair();
  return {
    signing: { privateKeyJwk: pair.privateKeyJwk, keyId: pair.keyId, source: "env" },
    publicKeys: { [pair.keyId]: pair.publicKeyJwk },
    edgeSecrets: await parseEdgeSecrets(generateEdgeSecret()),
  };
}

type ToolSpec = { name: string; state: "enabled" | "disabled" | "quarantined" | "removed"; pinned?: string | null; hash?: string; readOnlyHint?: boolean };

async function insertServer(
  db: Database,
  options: { status?: "approved" | "pending_review" | "rejected"; credential?: StoredCredential; ownerTeamId?: string | null; tools?: ToolSpec[]; slug?: string } = {},
) {
  const slug = options.slug ?? `srv-${uniq()}`;
  const [row] = await db
    .insert(servers)
    .values({
      slug,
      name: `Server ${slug}`,
      url: `https://${slug}.example.com`,
      endpointUrl: `https://${slug}.example.com/mcp`,
      transport: "streamable-http",
      status: options.status ?? "approved",
      authType: options.credential?.type ?? "none",
      ownerTeamId: options.ownerTeamId ?? null,
    })
    .returning();
  const server = row!;
  if (options.credential) {
    const { ciphertext, keyId } = sealCredential(server.id, options.credential);
    await db.update(servers).set({ credentialCiphertext: ciphertext, credentialKeyId: keyId }).where(eq(servers.id, server.id));
  }
  for (const t of options.tools ?? []) {
    await db.insert(serverTools).values({
      serverId: server.id,
      name: t.name,
      state: t.state,
      definition: t.readOnlyHint === undefined ? { name: t.name } : { name: t.name, annotations: { readOnlyHint: t.readOnlyHint } },
      hash: t.hash ?? hex("a"),
      pinnedHash: t.pinned === undefined ? hex("a") : t.pinned,
      tokensJson: 10,
      tokensTypescript: 8,
    });
  }
  return server;
}

/**
 * A stand-in portal: verifies what it receives exactly as the Worker does (signed bundles; status
 * reads signed with the edge secret), and keeps the newest version.
 */
async function startPortal(trustedKeys: Record<string, JsonWebKey>, secrets: EdgeSecret[]) {
  let current: number | null = null;
  let issuedAt: string | null = null;
  const received: unknown[] = [];
  const server: HttpServer = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.method === "GET" && req.url === "/_portcullis/status") {
      const signature = req.headers[EDGE_SIGNATURE_HEADER];
      if (!(await verifyEdgeRequest(typeof signature === "string" ? signature : null, "GET", req.url, secrets))) return send(401, { error: { code: "UNAUTHORIZED", message: "unsigned" } });
      return send(200, { version: current, issuedAt });
    }
    if (req.method === "POST" && req.url === "/_portcullis/bundle") {
      let text = "";
      for await (const chunk of req) text += chunk;
      const body = JSON.parse(text) as unknown;
      received.push(body);
      const result = await verifySignedBundle(body, trustedKeys, current);
      if (!result.ok) return send(result.reason === "NOT_NEWER" ? 409 : 400, { error: { code: result.reason, message: `bundle refused: ${result.reason}` } });
      current = result.bundle.version;
      issuedAt = result.bundle.issuedAt;
      return send(200, { accepted: true, version: current });
    }
    send(404, { error: { code: "NOT_FOUND", message: "no" } });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    /** As if the portal ran another bundle of the same version (its storage outlived a database reset). */
    runOtherBundleOfSameVersion: () => {
      issuedAt = "2001-01-01T00:00:00.000Z";
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port nothing listens on (bound, then released). */
async function deadPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe.each(testDatabases())("config bundles on $name", (database) => {
  const { db } = useTestDatabase(database);
  let keys: EdgeKeys;
  let dead: string;

  beforeAll(async () => {
    [keys, dead] = await Promise.all([makeKeys(), deadPortUrl()]);
  });

  const compile = (version = 1) => compileBundle(db, { version, issuer: "http://localhost:3000", edgeSecrets: keys.edgeSecrets });

  it("compiles only approved servers with their enabled, pinned tools", async () => {
    const approved = await insertServer(db, {
      tools: [
        { name: "on", state: "enabled", pinned: hex("b"), hash: hex("b") },
        { name: "off", state: "disabled" },
        { name: "held", state: "quarantined", pinned: hex("c"), hash: hex("d") },
        { name: "gone", state: "removed" },
        { name: "unpinned", state: "enabled", pinned: null },
        { name: "drifting", state: "enabled", pinned: hex("e"), hash: hex("f") },
      ],
    });
    const pending = await insertServer(db, { status: "pending_review", tools: [{ name: "x", state: "enabled" }] });
    const rejected = await insertServer(db, { status: "rejected", tools: [{ name: "x", state: "enabled" }] });
    const { bundle, skipped } = await compile();
    expect(() => ConfigBundle.parse(bundle)).not.toThrow();
    expect(skipped).toEqual([]);
    const mine = bundle.servers.find((s) => s.id === approved.id)!;
    expect(mine).toMatchObject({ slug: approved.slug, url: approved.endpointUrl, transport: "streamable-http", credential: null, ownerTeamId: null });
    // The approved definition travels with its pin, so the edge lists tools without asking the upstream;
    // a tool whose stored definition no longer hashes to the pin is published without one (nothing unapproved is listed).
    expect(mine.tools).toEqual([
      { name: "drifting", hash: hex("e"), state: "enabled" },
      { name: "on", hash: hex("b"), state: "enabled", definition: { name: "on" } },
    ]);
    const ids = bundle.servers.map((s) => s.id);
    expect(ids).not.toContain(pending.id);
    expect(ids).not.toContain(rejected.id);
  });

  it("marks a tool read-only only when its approved definition says readOnlyHint: true", async () => {
    const server = await insertServer(db, {
      tools: [
        { name: "reads", state: "enabled", pinned: hex("b"), hash: hex("b"), readOnlyHint: true },
        { name: "writes", state: "enabled", pinned: hex("b"), hash: hex("b"), readOnlyHint: false },
        { name: "unsaid", state: "enabled", pinned: hex("b"), hash: hex("b") },
        // The stored definition drifted from the pin: it is not the approved one, so its hint counts for nothing.
        { name: "drifted", state: "enabled", pinned: hex("c"), hash: hex("d"), readOnlyHint: true },
      ],
    });
    const { bundle } = await compile();
    const tools = bundle.servers.find((s) => s.id === server.id)!.tools;
    expect(Object.fromEntries(tools.map((t) => [t.name, t.readOnly ?? false]))).toEqual({ drifted: false, reads: true, unsaid: false, writes: false });
  });

  it("seals every kind of credential for the edge and never puts one in clear", async () => {
    const bearer = await insertServer(db, { credential: { type: "bearer", token: "sekrit-bearer-1234" } });
    const headers = await insertServer(db, { credential: { type: "headers", headers: { "X-Api-Key": "sekrit-header-5678" } } });
    const oauthCode = await insertServer(db, {
      credential: { type: "oauth_authorization_code", oauth: { redirectUrl: "http://x/cb", state: "s", tokens: { access_token: "sekrit-access-9012", token_type: "Bearer", refresh_token: "sekrit-refresh-3456" } } },
    });
    const clientCreds = await insertServer(db, { credential: { type: "oauth_client_credentials", clientId: "portcullis", clientSecret: "sekrit-client-7890", scope: "mcp" } });
    const noToken = await insertServer(db, { credential: { type: "oauth_authorization_code", oauth: { redirectUrl: "http://x/cb", state: "s" } } });
    const tokenUrls = new Map<string, string | Error>([[clientCreds.id, "https://auth.example.com/token"]]);
    const { bundle, skipped } = await compileBundle(db, { version: 1, issuer: "x", edgeSecrets: keys.edgeSecrets, tokenUrls });

    const text = JSON.stringify(bundle);
    expect(text).not.toMatch(/sekrit/);
    const open = async (id: string) => {
      const credential = bundle.servers.find((s) => s.id === id)!.credential!;
      expect(credential.kid).toBe(keys.edgeSecrets[0]!.kid);
      return JSON.parse(await openAtEdge(credential, keys.edgeSecrets, edgeCredentialAad(id))) as unknown;
    };
    expect(await open(bearer.id)).toEqual({ type: "headers", headers: { Authorization: "Bearer sekrit-bearer-1234" } });
    expect(await open(headers.id)).toEqual({ type: "headers", headers: { "X-Api-Key": "sekrit-header-5678" } });
    expect(await open(oauthCode.id)).toEqual({ type: "headers", headers: { Authorization: "Bearer sekrit-access-9012" } });
    expect(await open(clientCreds.id)).toEqual({ type: "oauth_client_credentials", tokenUrl: "https://auth.example.com/token", clientId: "portcullis", clientSecret: "sekrit-client-7890", scope: "mcp" });
    // Bound to its server: the sealed text does not open as another server's credential.
    await expect(openAtEdge(bundle.servers.find((s) => s.id === bearer.id)!.credential!, keys.edgeSecrets, edgeCredentialAad(headers.id))).rejects.toThrow();
    // A credential that cannot be prepared leaves its server out, with a reason, instead of failing the publish.
    expect(skipped).toEqual([{ id: noToken.id, slug: noToken.slug, reason: expect.stringMatching(/no OAuth access token/) }]);
    expect(bundle.servers.map((s) => s.id)).not.toContain(noToken.id);

    // Same state, same content: the previous sealed text is reused, so the content hash holds still.
    const again = await compileBundle(db, { version: 2, issuer: "x", edgeSecrets: keys.edgeSecrets, tokenUrls, previous: bundle });
    expect(await bundleContentHash(again.bundle)).toBe(await bundleContentHash(bundle));
    const fresh = await compileBundle(db, { version: 2, issuer: "x", edgeSecrets: keys.edgeSecrets, tokenUrls });
    expect(await bundleContentHash(fresh.bundle)).not.toBe(await bundleContentHash(bundle));
    // Clean up the servers this test made skippable, so later publishes have nothing skipped.
    await db.delete(servers).where(eq(servers.id, noToken.id));
    await db.delete(servers).where(eq(servers.id, clientCreds.id));
  });

  it("keeps live tokens of enabled users only, with teams and access rules", async () => {
    const team = await createTeam({ db, actor: BOOTSTRAP_ACTOR }, { slug: `t-${uniq()}`, name: "Team" });
    const alice = await makeUser(db, "member");
    const bob = await makeUser(db, "member");
    await setMembership({ db, actor: BOOTSTRAP_ACTOR }, team.id, alice.userId, {});
    const tokenId = async (secret: string) => {
      const actor = await authenticateBearer(db, `Bearer ${secret}`, undefined);
      return actor.kind === "token" ? actor.tokenId : "";
    };
    const live = await tokenId(await makeToken(db, alice.userId, ["read"]));
    const revoked = await tokenId(await makeToken(db, alice.userId));
    await revokeToken({ db, actor: BOOTSTRAP_ACTOR }, revoked);
    const expired = await tokenId(await makeToken(db, alice.userId));
    await db.update(apiTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(apiTokens.id, expired));
    const ofDisabled = await tokenId(await makeToken(db, bob.userId));
    await db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, bob.userId));

    const server = await insertServer(db, { ownerTeamId: team.id });
    const [everyone] = await db.insert(serverAccessGrants).values({ serverId: server.id, teamId: null }).returning();
    const [forTeam] = await db.insert(serverAccessGrants).values({ serverId: server.id, teamId: team.id }).returning();
    const pending = await insertServer(db, { status: "pending_review" });
    await db.insert(serverAccessGrants).values({ serverId: pending.id, teamId: null });

    const { bundle } = await compile();
    const tokenIds = bundle.tokens.map((t) => t.id);
    expect(tokenIds).toContain(live);
    for (const id of [revoked, expired, ofDisabled]) expect(tokenIds).not.toContain(id);
    const liveToken = bundle.tokens.find((t) => t.id === live)!;
    const [stored] = await db.select().from(apiTokens).where(eq(apiTokens.id, live));
    expect(liveToken).toEqual({ id: live, hash: stored!.hash, userId: alice.userId, scopes: ["read"], expiresAt: stored!.expiresAt!.toISOString() });
    expect(bundle.users.find((u) => u.id === alice.userId)).toMatchObject({ email: alice.email, emailVerified: true, role: "member", teamIds: [team.id] });
    await db.update(users).set({ emailVerified: false }).where(eq(users.id, alice.userId));
    expect((await compile()).bundle.users.find((u) => u.id === alice.userId)).toMatchObject({ emailVerified: false });
    await db.update(users).set({ emailVerified: true }).where(eq(users.id, alice.userId));
    expect(bundle.users.map((u) => u.id)).not.toContain(bob.userId);
    expect(bundle.teams).toContainEqual({ id: team.id, slug: team.slug });
    expect(bundle.servers.find((s) => s.id === server.id)!.ownerTeamId).toBe(team.id);
    const rules = bundle.policies.rules.filter((r) => r.resource.serverSlug === server.slug);
    expect(rules.sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : 1))).toEqual(
      [
        { id: everyone!.id, effect: "allow", subject: { type: "everyone" }, resource: { serverSlug: server.slug, tool: "*" }, priority: 100 },
        { id: forTeam!.id, effect: "allow", subject: { type: "team", teamId: team.id }, resource: { serverSlug: server.slug, tool: "*" }, priority: 100 },
      ].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    expect(bundle.policies.rules.some((r) => r.resource.serverSlug === pending.slug)).toBe(false);
  });

  it("refuses to publish, push or roll back for anyone but admins, and to read deployments below approver", async () => {
    for (const role of ["viewer", "member", "approver", "security"] as const) {
      const actor = await makeUser(db, role);
      await expect(publishConfig({ db, actor }, { keys, portalUrls: [] })).rejects.toBeInstanceOf(ForbiddenError);
      await expect(pushConfig({ db, actor }, { portalUrls: [] })).rejects.toBeInstanceOf(ForbiddenError);
      await expect(rollbackConfig({ db, actor }, { version: 1 }, { keys, portalUrls: [] })).rejects.toBeInstanceOf(ForbiddenError);
    }
    await expect(listDeployments({ db, actor: await makeUser(db, "member") })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(listDeployments({ db, actor: await makeUser(db, "approver") })).resolves.toBeInstanceOf(Array);
    expect(await db.select().from(bundleDeployments)).toEqual([]);
    // Nothing to push yet.
    await expect(pushConfig({ db, actor: await makeUser(db, "admin") }, { portalUrls: [] })).rejects.toBeInstanceOf(ConflictError);
  });

  it("publishes the next version with its audit row, and records an unreachable portal", async () => {
    const admin = await makeUser(db, "admin");
    const first = await publishConfig({ db, actor: admin }, { keys, portalUrls: [dead] });
    expect(first).toMatchObject({ version: 1, kind: "publish", rolledBackFrom: null, keyId: keys.signing.keyId, publishedBy: admin.email });
    expect(first.pushed).toEqual([{ portalUrl: dead, version: 1, status: "unreachable", activeVersion: null, message: expect.any(String), at: expect.any(String) }]);
    expect(first.summary.servers).toBeGreaterThan(0);

    const [row] = await db.select().from(bundleDeployments).where(eq(bundleDeployments.version, 1));
    const signed = row!.signed as unknown as SignedBundle;
    expect(await verifySignedBundle(JSON.parse(JSON.stringify(signed)), keys.publicKeys, null)).toMatchObject({ ok: true });
    expect(row!.contentHash).toBe(await bundleContentHash(signed.bundle));
    const audit = await db.select().from(auditLog).where(and(eq(auditLog.action, "config.publish"), eq(auditLog.targetId, "1")));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorId: admin.userId, details: { version: 1, contentHash: row!.contentHash } });
    expect(await db.select().from(bundleAcks).where(eq(bundleAcks.version, 1))).toHaveLength(1);

    const second = await publishConfig({ db, actor: admin }, { keys, portalUrls: [] });
    expect(second.version).toBe(2);
    expect(second.pushed).toEqual([]);
    // Nothing changed in between: equal content.
    expect(second.contentHash).toBe(first.contentHash);
  });

  it("pushes to a portal that verifies the signature; sent again it counts as running, another bundle of that version is refused", async () => {
    const portal = await startPortal(keys.publicKeys, keys.edgeSecrets);
    try {
      const admin = await makeUser(db, "admin");
      const published = await publishConfig({ db, actor: admin }, { keys, portalUrls: [portal.url, dead] });
      expect(published.pushed).toEqual([
        { portalUrl: portal.url, version: published.version, status: "accepted", activeVersion: published.version, message: null, at: expect.any(String) },
        { portalUrl: dead, version: published.version, status: "unreachable", activeVersion: null, message: expect.any(String), at: expect.any(String) },
      ]);
      expect(portal.received).toHaveLength(1);

      const again = await pushConfig({ db, actor: admin }, { keys, portalUrls: [portal.url] });
      // Sent again (as a publish racing a push does): the portal runs this very bundle, so it counts as accepted.
      expect(again).toMatchObject({ version: published.version, pushed: [{ status: "accepted", activeVersion: published.version, message: "already running this version" }] });
      // The same version number but another bundle (a portal whose storage outlived the database): refused.
      portal.runOtherBundleOfSameVersion();
      const other = await pushConfig({ db, actor: admin }, { portalUrls: [portal.url], keys });
      expect(other).toMatchObject({ version: published.version, pushed: [{ status: "refused", activeVersion: published.version, message: expect.stringMatching(/^NOT_NEWER/) }] });
      const audit = await db.select().from(auditLog).where(and(eq(auditLog.action, "config.push"), eq(auditLog.targetId, String(published.version))));
      expect(audit).toHaveLength(2);

      // A bundle signed with a key the portal does not trust is refused, and the deployment stays recorded.
      const otherKeys = { ...(await makeKeys()), edgeSecrets: keys.edgeSecrets };
      const untrusted = await publishConfig({ db, actor: admin }, { keys: otherKeys, portalUrls: [portal.url] });
      expect(untrusted.pushed[0]).toMatchObject({ status: "refused", activeVersion: published.version, message: expect.stringMatching(/^UNKNOWN_KEY/) });
      expect((await listDeployments({ db, actor: admin }))[0]).toMatchObject({ version: untrusted.version, acks: [{ status: "refused" }] });
      const listed = (await listDeployments({ db, actor: admin })).find((d) => d.version === published.version)!;
      // The latest answer per portal: the last re-push was refused as not newer.
      expect(Object.fromEntries(listed.acks.map((a) => [a.portalUrl, a.status]))).toEqual({ [portal.url]: "refused", [dead]: "unreachable" });
    } finally {
      await portal.close();
    }
  });

  it("rolls back by re-publishing old content as a new version, without tokens revoked since", async () => {
    const admin = await makeUser(db, "admin");
    const before = await publishConfig({ db, actor: admin }, { keys, portalUrls: [] });
    const server = await insertServer(db, { tools: [{ name: "new_tool", state: "enabled" }] });
    const changed = await publishConfig({ db, actor: admin }, { keys, portalUrls: [] });
    expect(changed.contentHash).not.toBe(before.contentHash);
    const diff = await getConfigDiff({ db, actor: admin }, { from: before.version, to: changed.version });
    expect(diff.servers.added.map((s) => s.id)).toEqual([server.id]);

    const rolled = await rollbackConfig({ db, actor: admin }, { version: before.version }, { keys, portalUrls: [] });
    expect(rolled).toMatchObject({ version: changed.version + 1, kind: "rollback", rolledBackFrom: before.version, contentHash: before.contentHash });
    expect((await getConfigDiff({ db, actor: admin }, { from: before.version, to: rolled.version })).identical).toBe(true);
    const audit = await db.select().from(auditLog).where(and(eq(auditLog.action, "config.rollback"), eq(auditLog.targetId, String(rolled.version))));
    expect(audit[0]).toMatchObject({ details: { rolledBackFrom: before.version } });

    // A token revoked after the version rolled back to does not come back with it.
    const beforeBundle = (await db.select().from(bundleDeployments).where(eq(bundleDeployments.version, before.version)))[0]!.signed as unknown as SignedBundle;
    const someToken = beforeBundle.bundle.tokens[0]!;
    await revokeToken({ db, actor: BOOTSTRAP_ACTOR }, someToken.id);
    const rolledAgain = await rollbackConfig({ db, actor: admin }, { version: before.version }, { keys, portalUrls: [] });
    expect(rolledAgain.contentHash).not.toBe(before.contentHash);
    const [stored] = await db.select().from(bundleDeployments).where(eq(bundleDeployments.version, rolledAgain.version));
    const tokens = (stored!.signed as unknown as SignedBundle).bundle.tokens.map((t) => t.id);
    expect(tokens).not.toContain(someToken.id);
    expect(tokens).toHaveLength(beforeBundle.bundle.tokens.length - 1);
  });

  it("brings users and tokens to the edge without publishing pending server changes, and only when they changed", async () => {
    const admin = await makeUser(db, "admin");
    const published = await publishConfig({ db, actor: admin }, { keys, portalUrls: [] });
    expect(await syncIdentities({ db, actor: admin }, { keys, portalUrls: [] })).toBeNull();

    // A pending server change and a new token: only the token goes out.
    const pendingServer = await insertServer(db, { tools: [{ name: "pending_tool", state: "enabled" }] });
    const member = await makeUser(db, "member");
    await makeToken(db, member.userId);
    const synced = await syncIdentities({ db, actor: admin }, { keys, portalUrls: [] });
    expect(synced).toMatchObject({ version: published.version + 1, kind: "identity" });
    const [row] = await db.select().from(bundleDeployments).where(eq(bundleDeployments.version, synced!.version));
    const bundle = (row!.signed as unknown as SignedBundle).bundle;
    expect(bundle.servers.map((s) => s.id)).not.toContain(pendingServer.id);
    expect(bundle.users.map((u) => u.id)).toContain(member.userId);
    expect(bundle.tokens.some((t) => t.userId === member.userId)).toBe(true);
    const audit = await db.select().from(auditLog).where(and(eq(auditLog.action, "config.identities"), eq(auditLog.targetId, String(synced!.version))));
    expect(audit).toHaveLength(1);
    expect(await syncIdentities({ db, actor: admin }, { keys, portalUrls: [] })).toBeNull();
    await expect(syncIdentities({ db, actor: member }, { keys, portalUrls: [] })).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("publishes above a version a portal reported running (its storage outlived this database)", async () => {
    const admin = await makeUser(db, "admin");
    const first = await publishConfig({ db, actor: admin }, { keys, portalUrls: [] });
    await db.insert(bundleAcks).values({ portalUrl: "http://portal.test", version: first.version, status: "refused", activeVersion: first.version + 40, message: "NOT_NEWER" });
    const next = await publishConfig({ db, actor: admin }, { keys, portalUrls: [] });
    expect(next.version).toBe(first.version + 41);
  });

  it("refuses a rollback to an unknown or malformed version", async () => {
    const admin = await makeUser(db, "admin");
    await expect(rollbackConfig({ db, actor: admin }, { version: 999_999 }, { keys, portalUrls: [] })).rejects.toBeInstanceOf(NotFoundError);
    await expect(rollbackConfig({ db, actor: admin }, { version: "1" }, { keys, portalUrls: [] })).rejects.toBeInstanceOf(ZodError);
    await expect(rollbackConfig({ db, actor: admin }, { version: 1, extra: true }, { keys, portalUrls: [] })).rejects.toBeInstanceOf(ZodError);
  });

  it("shows a deployment without sealed credentials or token hashes", async () => {
    await insertServer(db, { credential: { type: "bearer", token: "sekrit-shown-never" } });
    const admin = await makeUser(db, "admin");
    const published = await publishConfig({ db, actor: admin }, { keys, portalUrls: [] });
    const [row] = await db.select().from(bundleDeployments).where(eq(bundleDeployments.version, published.version));
    const signed = row!.signed as unknown as SignedBundle;
    const detail = await getDeployment({ db, actor: await makeUser(db, "security") }, published.version);
    const text = JSON.stringify(detail);
    for (const s of signed.bundle.servers) if (s.credential) expect(text).not.toContain(s.credential.sealed);
    for (const t of signed.bundle.tokens) expect(text).not.toContain(t.hash);
    expect(text).toContain('"[sealed]"');
    expect(text).not.toContain("sekrit");
    await expect(getDeployment({ db, actor: await makeUser(db, "member") }, published.version)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(getDeployment({ db, actor: admin }, 999_999)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("gives everyone the portal overview; portal URLs only to those who read the configuration", async () => {
    const viewer = await makeUser(db, "viewer");
    const overview = await getPortalOverview({ db, actor: viewer });
    expect(overview.latestVersion).toBeGreaterThan(0);
    expect(overview.lastEventAt).toBeNull();
    expect(overview.publicUrl).toMatch(/^https?:\/\//);
    for (const p of overview.portals) expect(p.label).toMatch(/^portal \d+$/);
  });
});
