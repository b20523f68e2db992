/**
 * Secrets inside a server's URL (`…/mcp/<key>/sse?api_key=…`) are shown to nobody: not through the
 * API (to any role), not on the server pages, not in audit details, the server's timeline, the
 * portal's events, a published bundle as the console shows it, nor in discovery errors. The real
 * URL stays in the database and in the signed bundle the edge connects with; a redacted URL sent
 * back as if it were the real one is refused.
 */
import { eq } from "drizzle-orm";
import type { ReactElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { auditLog, bundleDeployments, servers, serverEvents } from "@/db/schema";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { freePort } from "@/testing/mcp-servers";
import { makeEvent } from "@/testing/events";
import { makeToken, makeUser } from "@/testing/users";
import type { Actor } from "@/lib/auth/actor";
import { listAudit } from "@/lib/audit/list-audit";
import { ingestEvents } from "@/lib/audit/ingest-events";
import { publishConfig } from "@/lib/config/publish-config";
import { DiscoveryError, type DiscoveryResult } from "@/lib/servers/discover";
import { syncServer } from "@/lib/servers/sync-server";
import type * as Upstream from "@/lib/servers/upstream";
import { generateEdgeSecret, parseEdgeSecrets, signEventBody } from "@core/edge/secret";
import { generateSigningKeyPair } from "@core/bundle/sign";
import type { Role } from "@core/auth/roles";
import { GET as listServersRoute, POST as registerServerRoute } from "./api/v1/servers/route";
import { GET as getServerRoute } from "./api/v1/servers/[id]/route";
import { POST as approveServerRoute } from "./api/v1/servers/[id]/approve/route";
import { POST as syncServerRoute } from "./api/v1/servers/[id]/sync/route";
import { GET as getDeploymentRoute } from "./api/v1/config/deployments/[version]/route";
import { GET as listEventsRoute } from "./api/v1/audit/route";
import ServerPage from "./(console)/servers/[id]/page";
import ServersPage from "./(console)/servers/page";
import { requestServerAction } from "./(console)/servers/actions";

const session = vi.hoisted(() => ({ actor: null as Actor | null }));
vi.mock("@/lib/auth/session", () => ({ currentActor: async () => session.actor }));
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));

const KEY = "sk_live_abcdef1234567890abcdef";
const SECRET_URL = `https://mcp.example.com/mcp/${KEY}/sse?api_key=XYZ`;
const SHOWN_URL = "https://mcp.example.com/mcp/[redacted]/sse?api_key=[redacted]";
/** The secret in every spelling it could leak in. */
const LEAKS = [KEY, "api_key=XYZ", encodeURIComponent(KEY), "abcdef1234567890"];

// mcp.example.com does not exist: discovery of it answers like a legacy SSE server, or fails
// mentioning the URL (as the SDK's errors do) once `upstream.down`. Any other URL is discovered for real.
const upstream = vi.hoisted(() => ({ down: false }));
vi.mock("@/lib/servers/upstream", async (importOriginal) => {
  const real = await importOriginal<typeof Upstream>();
  return {
    ...real,
    guardedDiscover: async (options: { url: string; auth: unknown }): Promise<DiscoveryResult> => {
      if (!options.url.startsWith("https://mcp.example.com/")) return real.guardedDiscover(options as Parameters<typeof real.guardedDiscover>[0]);
      if (upstream.down) throw new DiscoveryError("UPSTREAM_UNREACHABLE", `Could not reach ${options.url}: fetch failed (ECONNREFUSED)`);
      return {
        transport: "sse",
        endpointUrl: options.url,
        serverInfo: { name: "keyed", version: "1.0.0" },
        protocolVersion: "2025-06-18",
        capabilities: { tools: {} },
        instructions: null,
        tools: [{ name: "lookup", description: "Looks a thing up", inputSchema: { type: "object", properties: { q: { type: "string" } } } }],
        prompts: [],
        resources: [],
        resourceTemplates: [],
      };
    },
  };
});

function expectNoSecret(text: string) {
  for (const leak of LEAKS) expect(text, `must not contain ${leak}`).not.toContain(leak);
}

const uniq = () => Math.random().toString(36).slice(2, 8);

describe.each(testDatabases())("secrets in server URLs on $name", (database) => {
  const { db } = useTestDatabase(database, { getDb: true });
  const actors = new Map<Role, Actor>();
  const tokens = new Map<Role, string>();
  let serverId: string;
  const answers: string[] = [];

  const call = async (
    handler: (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>,
    role: Role,
    path: string,
    init: { method?: string; body?: unknown; params?: Record<string, string> } = {},
  ) => {
    const res = await handler(
      new Request(`http://console.test/api/v1${path}`, {
        method: init.method ?? "GET",
        headers: { authorization: `Bearer ${tokens.get(role)}`, ...(init.body ? { "content-type": "application/json" } : {}) },
        body: init.body ? JSON.stringify(init.body) : undefined,
      }),
      { params: Promise.resolve(init.params ?? {}) },
    );
    return { status: res.status, text: await res.text() };
  };
  const render = async (role: Role, page: () => Promise<ReactElement>) => {
    session.actor = actors.get(role)!;
    return renderToStaticMarkup(await page());
  };

  beforeAll(async () => {
    for (const role of ["viewer", "member", "approver", "admin"] as const) {
      const actor = await makeUser(db, role);
      actors.set(role, actor);
      tokens.set(role, await makeToken(db, actor.userId));
    }
    const created = await call(registerServerRoute, "member", "/servers", {
      method: "POST",
      body: { name: "Keyed", slug: `keyed-${uniq()}`, url: SECRET_URL, justification: "keyed upstream" },
    });
    expect(created.status, created.text).toBe(201);
    serverId = (JSON.parse(created.text) as { id: string }).id;
    const approved = await call(approveServerRoute, "approver", `/servers/${serverId}/approve`, { method: "POST", body: { reason: "ok" }, params: { id: serverId } });
    expect(approved.status, approved.text).toBe(200);
    answers.push(created.text, approved.text);
  });

  it("keeps the real URL in the database, and shows it redacted through the API to viewers, members and admins", async () => {
    // The answers to the registration (a member) and the approval (an approver).
    for (const text of answers) expectNoSecret(text);
    const [row] = await db.select().from(servers).where(eq(servers.id, serverId));
    expect(row).toMatchObject({ url: SECRET_URL, endpointUrl: SECRET_URL });
    for (const role of ["viewer", "member", "admin"] as const) {
      const one = await call(getServerRoute, role, `/servers/${serverId}`, { params: { id: serverId } });
      expect(one.status).toBe(200);
      expectNoSecret(one.text);
      expect(JSON.parse(one.text)).toMatchObject({ url: SHOWN_URL, endpointUrl: SHOWN_URL });
      const list = await call(listServersRoute, role, "/servers");
      expect(list.status).toBe(200);
      expectNoSecret(list.text);
      expect(list.text).toContain(SHOWN_URL);
    }
  });

  it("does not let a search find a server by its secret (an oracle for guessing it)", async () => {
    const byHost = await call(listServersRoute, "viewer", "/servers?q=mcp.example.com");
    expect((JSON.parse(byHost.text) as { servers: { id: string }[] }).servers.map((s) => s.id)).toContain(serverId);
    for (const guess of ["sk_live_abc", "api_key=XYZ"]) {
      const found = await call(listServersRoute, "viewer", `/servers?q=${encodeURIComponent(guess)}`);
      expect((JSON.parse(found.text) as { servers: { id: string }[] }).servers.map((s) => s.id), guess).not.toContain(serverId);
    }
  });

  it("renders the server pages without the secret, for a viewer and an admin", async () => {
    for (const role of ["viewer", "admin"] as const) {
      const detail = await render(role, () => ServerPage({ params: Promise.resolve({ id: serverId }) }));
      expect(detail).toContain(SHOWN_URL);
      expectNoSecret(detail);
      const list = await render(role, () => ServersPage({ searchParams: Promise.resolve({}) }));
      expect(list).toContain(SHOWN_URL);
      expectNoSecret(list);
    }
  });

  it("writes and shows audit details and the server's timeline without the secret", async () => {
    const rows = await db.select().from(auditLog).where(eq(auditLog.targetId, serverId));
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(["server.request", "server.approve"]));
    expectNoSecret(JSON.stringify(rows));
    expect(rows.find((r) => r.action === "server.request")!.details).toMatchObject({ url: SHOWN_URL });
    const shown = await listAudit({ db, actor: actors.get("admin")! }, { action: "server." });
    expectNoSecret(JSON.stringify(shown));
    expectNoSecret(JSON.stringify(await db.select().from(serverEvents).where(eq(serverEvents.serverId, serverId))));
  });

  it("keeps the real URL in the signed bundle, and shows the bundle redacted", async () => {
    const pair = await generateSigningKeyPair();
    const keys = {
      signing: { privateKeyJwk: pair.privateKeyJwk, keyId: pair.keyId, source: "env" as const },
      publicKeys: { [pair.keyId]: pair.publicKeyJwk },
      edgeSecrets: await parseEdgeSecrets(generateEdgeSecret()),
    };
    const { version } = await publishConfig({ db, actor: actors.get("admin")! }, { keys, portalUrls: [] });
    const [stored] = await db.select().from(bundleDeployments).where(eq(bundleDeployments.version, version));
    expect(JSON.stringify(stored!.signed)).toContain(SECRET_URL);
    const shown = await call(getDeploymentRoute, "admin", `/config/deployments/${version}`, { params: { version: String(version) } });
    expect(shown.status).toBe(200);
    expect(shown.text).toContain(SHOWN_URL);
    expectNoSecret(shown.text);
  });

  it("shows discovery errors that name the URL without its secret: at registration, and when a sync fails", async () => {
    const closed = await freePort();
    const refused = await call(registerServerRoute, "member", "/servers", {
      method: "POST",
      body: { name: "Down", slug: `down-${uniq()}`, url: `http://127.0.0.1:${closed}/mcp/${KEY}/sse?api_key=XYZ`, justification: "x" },
    });
    expect(refused.status, refused.text).toBe(422);
    expect(refused.text).toContain(`127.0.0.1:${closed}/mcp/[redacted]/sse`);
    expectNoSecret(refused.text);

    upstream.down = true;
    try {
      const failed = await call(syncServerRoute, "admin", `/servers/${serverId}/sync`, { method: "POST", params: { id: serverId } });
      expect(failed.status).toBe(422);
      expect(failed.text).toContain(SHOWN_URL);
      expectNoSecret(failed.text);
      await expect(syncServer({ db, actor: actors.get("admin")! }, serverId)).rejects.toBeInstanceOf(DiscoveryError);
    } finally {
      upstream.down = false;
    }
    const [row] = await db.select().from(servers).where(eq(servers.id, serverId));
    expectNoSecret(row!.lastSyncError ?? "");
    const one = await call(getServerRoute, "viewer", `/servers/${serverId}`, { params: { id: serverId } });
    expect(JSON.parse(one.text).lastSyncError).toContain(SHOWN_URL);
    expectNoSecret(one.text);
    expectNoSecret(JSON.stringify(await db.select().from(serverEvents).where(eq(serverEvents.serverId, serverId))));
    expectNoSecret(await render("viewer", () => ServerPage({ params: Promise.resolve({ id: serverId }) })));
  });

  it("shows the portal's events without the secret in the server URL or the error", async () => {
    const secret = generateEdgeSecret();
    const event = makeEvent({ serverId, serverUrl: SECRET_URL, success: false, error: `-32004: Upstream failed (fetch ${SECRET_URL} failed)`, email: "keyed@example.test" });
    const body = JSON.stringify({ events: [event] });
    await ingestEvents(db, { body, signature: await signEventBody(body, await parseEdgeSecrets(secret)), secrets: await parseEdgeSecrets(secret) });
    const listed = await call(listEventsRoute, "admin", "/audit?user=keyed%40example.test");
    expect(listed.status).toBe(200);
    expect(listed.text).toContain(SHOWN_URL);
    expectNoSecret(listed.text);
  });

  it("refuses a redacted URL sent back as the real one (API and form), and keeps the stored URL", async () => {
    const slug = `again-${uniq()}`;
    for (const url of [SHOWN_URL, "https://mcp.example.com/mcp/%5Bredacted%5D/sse"]) {
      const res = await call(registerServerRoute, "member", "/servers", { method: "POST", body: { name: "Again", slug, url, justification: "x" } });
      expect(res.status, url).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ error: { code: "VALIDATION_ERROR", fields: { url: expect.stringContaining("[redacted]") } } });
    }
    session.actor = actors.get("member")!;
    const form = new FormData();
    for (const [k, v] of Object.entries({ name: "Again", slug, url: SHOWN_URL, justification: "x" })) form.set(k, v);
    const result = await requestServerAction(null, form);
    expect(result).toMatchObject({ ok: false, error: { code: "VALIDATION_ERROR" }, fields: { url: expect.stringContaining("[redacted]") } });
    expect(await db.select().from(servers).where(eq(servers.slug, slug))).toEqual([]);
    const [row] = await db.select().from(servers).where(eq(servers.id, serverId));
    expect(row!.url).toBe(SECRET_URL);
  });

  afterAll(() => {
    session.actor = null;
  });
});
