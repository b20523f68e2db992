/**
 * The portal's proof on every upstream request, in workerd: an upstream that accepts calls through
 * the portal only (testing/servers/proof-mcp-server.ts) verifies each request against the portal's
 * published keys and sees the caller's identity — on the session path (a Durable Object's SDK
 * client), on sealed sessions and on 2026-07-28 (the per-call path's links); a direct call, a proof
 * for another server and a proof from another portal are refused with 401; the console's discovery
 * proof is accepted, so such a server can be registered.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverServer } from "@/lib/servers/discover";
import { consoleProof } from "@/lib/servers/upstream";
import { generateEdgeSecret, parseEdgeSecrets } from "@core/edge/secret";
import { PORTAL_SUBJECT, proofKeySet, signProof } from "@core/proof/sign";
import { PROOF_HEADER, PROOF_JWKS_PATH, type ProofClaims } from "@core/proof/verify";
import { startProofServer } from "@/testing/servers/proof-mcp-server";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const TEAM = { id: crypto.randomUUID(), slug: "finance" };
const INITIALIZE = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "direct", version: "1" } } };

describe("upstream proofs in workerd", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let hosted: Awaited<ReturnType<typeof startProofServer>>;
  let alice: TestUser;
  const clients: Client[] = [];

  beforeAll(async () => {
    const edgeSecret = generateEdgeSecret();
    sink = await startEventSink(edgeSecret);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret });
    hosted = await startProofServer({ portal: portal.origin });
    alice = await testUser("alice@acme.test", [TEAM.id]);
    const server = await approvedServer({ slug: "hosted", url: hosted.url, edgeSecret, proofIssuer: portal.origin });
    expect((await portal.push(await bundleOf({ servers: [server], users: [alice], teams: [TEAM], rules: [allowRule({ type: "everyone" }, "hosted")] }))).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled([portal?.stop(), sink?.close(), hosted?.close()]);
  });

  async function connect(path: string, capabilities: Record<string, unknown> = {}): Promise<Client> {
    const client = new Client({ name: "proof-test", version: "1" }, { capabilities });
    await client.connect(new StreamableHTTPClientTransport(new URL(path, portal.origin), { requestInit: { headers: { authorization: `Bearer ${alice.token}` } } }));
    clients.push(client);
    return client;
  }

  const whoami = (answer: unknown) => JSON.parse((answer as { content: { text: string }[] }).content[0]!.text) as ProofClaims;
  const aliceClaims = () => ({ iss: portal.origin, aud: hosted.url, sub: alice.id, kind: "user", email: alice.email, teams: [TEAM.slug] });
  const direct = (headers: Record<string, string> = {}) =>
    fetch(hosted.url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body: JSON.stringify(INITIALIZE) });

  it("publishes its proof keys, the same ones the console derives from the edge secret", async () => {
    const res = await fetch(`${portal.origin}${PROOF_JWKS_PATH}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toMatch(/max-age=300/);
    const body = await res.json();
    expect(body).toEqual(await proofKeySet(await parseEdgeSecrets(portal.edgeSecret)));
    expect(JSON.stringify(body)).not.toMatch(/"d"/);
    expect((await fetch(`${portal.origin}${PROOF_JWKS_PATH}`, { method: "POST" })).status).toBe(405);
  });

  it("a hosted tool sees the caller's verified identity on the session path (Durable Object)", async () => {
    // A client that takes server→client requests keeps its Durable Object session.
    const client = await connect("/mcp/hosted", { sampling: {} });
    const refusedBefore = hosted.refused.length;
    const claims = whoami(await client.callTool({ name: "whoami", arguments: {} }));
    expect(claims).toMatchObject(aliceClaims());
    expect(claims.exp - claims.iat).toBe(60);
    expect(hosted.refused.length).toBe(refusedBefore);
  });

  it("and on a sealed session at /mcp", async () => {
    const client = await connect("/mcp");
    const refusedBefore = hosted.refused.length;
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["hosted_whoami"]);
    expect(whoami(await client.callTool({ name: "hosted_whoami", arguments: {} }))).toMatchObject(aliceClaims());
    expect(hosted.refused.length).toBe(refusedBefore);
  });

  it("and on 2026-07-28, with a fresh proof for every upstream request", async () => {
    const acceptedBefore = hosted.accepted.length;
    const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: "raw-2026", version: "1" }, "io.modelcontextprotocol/clientCapabilities": {} };
    const res = await fetch(`${portal.origin}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "hosted_whoami" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "hosted_whoami", arguments: {}, _meta: meta } }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    const message = JSON.parse(res.headers.get("content-type")?.includes("text/event-stream") ? text.split("\n").filter((l) => l.startsWith("data: ")).at(-1)!.slice(6) : text) as { result: unknown };
    expect(whoami(message.result)).toMatchObject(aliceClaims());
    const fresh = hosted.accepted.slice(acceptedBefore);
    expect(fresh.length).toBeGreaterThan(0);
    // Each upstream request had a proof of its own, all from this portal, for this server.
    expect(new Set(fresh.map((c) => c.jti)).size).toBe(fresh.length);
    for (const c of fresh) expect(c).toMatchObject({ iss: portal.origin, aud: hosted.url });
    expect(fresh.every((c) => c.kind === "portal" || (c.kind === "user" && c.sub === alice.id))).toBe(true);
  });

  it("refuses a direct call (401), a proof for another server, and a proof from another portal", async () => {
    const secrets = await parseEdgeSecrets(portal.edgeSecret);
    const refusedBefore = hosted.refused.length;
    const none = await direct();
    expect(none.status).toBe(401);
    expect(JSON.stringify(await none.json())).toMatch(/through its Portcullis portal only/);
    const otherServer = await signProof({ issuer: portal.origin, audience: "http://127.0.0.1:1/mcp", subject: PORTAL_SUBJECT }, secrets);
    expect((await direct({ [PROOF_HEADER]: otherServer })).status).toBe(401);
    const otherPortal = await signProof({ issuer: portal.origin, audience: hosted.url, subject: PORTAL_SUBJECT }, await parseEdgeSecrets(generateEdgeSecret()));
    expect((await direct({ [PROOF_HEADER]: otherPortal })).status).toBe(401);
    expect(hosted.refused.slice(refusedBefore).map((r) => r.reason)).toEqual(["MISSING", "WRONG_AUDIENCE", "UNKNOWN_KEY"]);
    // The right proof opens the same door.
    const good = await signProof({ issuer: portal.origin, audience: hosted.url, subject: PORTAL_SUBJECT }, secrets);
    expect((await direct({ [PROOF_HEADER]: good })).status).toBe(200);
  });

  it("accepts the console's own proof, so discovery and sync work", async () => {
    const saved = { secret: process.env.PORTCULLIS_EDGE_SECRET, publicUrl: process.env.PORTCULLIS_PORTAL_PUBLIC_URL };
    process.env.PORTCULLIS_EDGE_SECRET = portal.edgeSecret;
    process.env.PORTCULLIS_PORTAL_PUBLIC_URL = portal.origin;
    try {
      const acceptedBefore = hosted.accepted.length;
      const discovered = await discoverServer({ url: hosted.url, auth: { type: "none" }, proof: consoleProof });
      expect(discovered.tools.map((t) => t.name)).toEqual(["whoami"]);
      const seen = hosted.accepted.slice(acceptedBefore);
      expect(seen.length).toBeGreaterThan(0);
      for (const c of seen) expect(c).toMatchObject({ kind: "console", sub: "portcullis-console", iss: portal.origin, aud: hosted.url });
      // Without it, discovery reports the refusal.
      await expect(discoverServer({ url: hosted.url, auth: { type: "none" } })).rejects.toThrow(/401/);
    } finally {
      for (const [name, value] of [["PORTCULLIS_EDGE_SECRET", saved.secret], ["PORTCULLIS_PORTAL_PUBLIC_URL", saved.publicUrl]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
