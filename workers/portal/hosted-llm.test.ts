/**
 * LLM calls from a hosted server, with the caller's identity, in workerd: a hosted tool (an upstream
 * that accepts the portal's calls only, testing/servers/proof-mcp-server.ts) asks the portal's LLM
 * gateway with the scaffolded servers' helper (templates/mcp-server/src/portcullis-llm.ts), which
 * presents the proof the portal sent with the tool call. The call is metered to the person who
 * called the tool (the usage event names them, their budget pays); a read-only caller's tool cannot
 * spend; proofs that are expired, for a server not in the bundle, the console's or the portal's
 * own, from another portal, or naming a person the bundle does not have are refused with 401.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BundleLlmProvider } from "@core/bundle/schema";
import { llmCredentialAad } from "@core/edge/credential";
import { generateEdgeSecret, parseEdgeSecrets, sealForEdge } from "@core/edge/secret";
import type { LlmEvent } from "@core/events/schema";
import { CONSOLE_SUBJECT, signProof, type ProofSubject } from "@core/proof/sign";
import { PROOF_HEADER } from "@core/proof/verify";
import { startFakeLlmProvider, type FakeLlmProvider } from "@/testing/fake-llm";
import { startProofServer } from "@/testing/servers/proof-mcp-server";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const PROVIDER_KEY = "sk-provider-secret-hosted-0123456789";
const TEAM = { id: crypto.randomUUID(), slug: "research" };

describe("a hosted tool's LLM calls, as the caller, in workerd", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let fake: FakeLlmProvider;
  let hosted: Awaited<ReturnType<typeof startProofServer>>;
  let ada: TestUser;
  let reader: TestUser;
  const clients: Client[] = [];

  const llmEvents = () => sink.events.filter((e) => (e as unknown as { kind?: string }).kind === "llm") as unknown as LlmEvent[];

  beforeAll(async () => {
    const edgeSecret = generateEdgeSecret();
    [fake, sink] = await Promise.all([startFakeLlmProvider({ expectedKey: PROVIDER_KEY }), startEventSink(edgeSecret)]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret, vars: { PORTCULLIS_EVENTS_MAX_BACKOFF_MS: "200" } });
    hosted = await startProofServer({ portal: portal.origin, llm: { provider: "openai", model: "gpt-test-1" } });
    ada = await testUser("ada@acme.test", [TEAM.id]);
    reader = await testUser("reader@acme.test", [TEAM.id], [], { scopes: ["read"] });
    const id = crypto.randomUUID();
    const credential = await sealForEdge(JSON.stringify({ apiKey: PROVIDER_KEY }), await parseEdgeSecrets(edgeSecret), llmCredentialAad(id));
    const provider: BundleLlmProvider = { id, slug: "openai", name: "openai", kind: "openai", baseUrl: `${fake.url}/v1`, credential, cacheTtlSeconds: 0, logBodies: false };
    // `ask` published read-only, so a read-only token may call it: what it may not do is spend on LLM calls.
    const server = await approvedServer({ slug: "hosted", url: hosted.url, edgeSecret, proofIssuer: portal.origin, readOnly: ["ask"] });
    const bundle = await bundleOf({
      servers: [server],
      users: [ada, reader],
      teams: [TEAM],
      rules: [allowRule({ type: "everyone" }, "hosted"), allowRule({ type: "everyone" }, "openai")],
      llm: { providers: [provider], prices: [{ provider: "openai", model: "gpt-test*", inputPerMTok: 1, outputPerMTok: 2 }] },
    });
    expect((await portal.push(bundle)).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled([portal?.stop(), sink?.close(), hosted?.close(), fake?.close()]);
  });

  async function connect(user: TestUser): Promise<Client> {
    const client = new Client({ name: "hosted-llm-test", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL("/mcp/hosted", portal.origin), { requestInit: { headers: { authorization: `Bearer ${user.token}` } } }));
    clients.push(client);
    return client;
  }

  const text = (answer: unknown) => (answer as { content: { text: string }[] }).content[0]!.text;

  it("meters a hosted tool's LLM call to the person who called the tool", async () => {
    const client = await connect(ada);
    const before = fake.requests().length;
    const answer = await client.callTool({ name: "ask", arguments: { question: "what is the capital of France" } });
    expect(answer.isError).toBeFalsy();
    expect(text(answer).length).toBeGreaterThan(0);
    // The provider saw the portal's key, never a proof or a caller credential.
    expect(fake.requests().length).toBe(before + 1);
    expect(fake.requests().at(-1)!.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    expect(JSON.stringify(fake.requests().at(-1)!.headers)).not.toMatch(/portcullis-proof/i);

    await expect.poll(() => llmEvents().filter((e) => e.userId === ada.id).length, { timeout: 20_000 }).toBe(1);
    const event = llmEvents().find((e) => e.userId === ada.id)!;
    expect(event).toMatchObject({ email: ada.email, teamIds: [TEAM.id], tokenId: null, providerSlug: "openai", decision: "allowed", status: 200, model: "gpt-test-1" });
    expect(event.inputTokens).toBeGreaterThan(0);
    expect(event.costMicroUsd).toBeGreaterThan(0);
  });

  it("refuses the LLM call of a tool called with a read-only token", async () => {
    const client = await connect(reader);
    const answer = await client.callTool({ name: "ask", arguments: { question: "hi" } });
    expect(answer.isError).toBe(true);
    expect(text(answer)).toMatch(/403.*write scope/);
    await expect.poll(() => llmEvents().filter((e) => e.userId === reader.id).map((e) => e.decision), { timeout: 20_000 }).toEqual(["denied"]);
  });

  describe("proofs the gateway does not accept", () => {
    const ask = (proof: string) =>
      fetch(`${portal.origin}/llm/openai/v1/chat/completions`, {
        method: "POST",
        headers: { [PROOF_HEADER]: proof, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-test-1", messages: [{ role: "user", content: "hi" }] }),
      });
    const adaSubject = (): ProofSubject => ({ kind: "user", userId: ada.id, email: ada.email, teams: [TEAM.slug], scopes: ["read", "write"] });
    const proof = async (over: { audience?: string; subject?: ProofSubject; nowSeconds?: number; secret?: string } = {}) =>
      signProof(
        { issuer: portal.origin, audience: over.audience ?? hosted.url, subject: over.subject ?? adaSubject(), ...(over.nowSeconds ? { nowSeconds: over.nowSeconds } : {}) },
        await parseEdgeSecrets(over.secret ?? portal.edgeSecret),
      );

    it("accepts a fresh user proof for a server of the bundle, and nothing else", async () => {
      expect((await ask(await proof())).status).toBe(200);
      const refusals: Record<string, Response> = {
        expired: await ask(await proof({ nowSeconds: Math.floor(Date.now() / 1000) - 300 })),
        "another server": await ask(await proof({ audience: "http://127.0.0.1:1/mcp" })),
        "the console's": await ask(await proof({ subject: CONSOLE_SUBJECT })),
        "another portal's": await ask(await proof({ secret: generateEdgeSecret() })),
        "someone not in the bundle": await ask(await proof({ subject: { ...adaSubject(), userId: crypto.randomUUID() } as ProofSubject })),
        forged: await ask(`${(await proof()).slice(0, -4)}AAAA`),
      };
      const statuses = Object.fromEntries(await Promise.all(Object.entries(refusals).map(async ([k, r]) => [k, `${r.status} ${(await r.json()).error.type ?? ""}`])));
      expect(statuses).toEqual(Object.fromEntries(Object.keys(refusals).map((k) => [k, expect.stringMatching(/^401/)])));
      // Neither a read-only proof's holder may spend.
      const readOnly = await ask(await proof({ subject: { ...adaSubject(), scopes: ["read"] } as ProofSubject }));
      expect(readOnly.status).toBe(403);
    });
  });
});
