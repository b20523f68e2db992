/**
 * The server in workerd, built as `wrangler deploy` builds it: it refuses every request without a
 * valid portal proof (401), and its tools see the caller the proof names.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROOF_HEADER } from "../src/portcullis-proof";
import { runWorker } from "./run-worker";
import { startTestPortal, type TestPortal } from "./test-portal";

describe("the server", () => {
  let portal: TestPortal;
  let worker: Awaited<ReturnType<typeof runWorker>>;
  let url: string;

  beforeAll(async () => {
    portal = await startTestPortal();
    worker = await runWorker(portal.origin);
    url = worker.url;
  });

  afterAll(async () => {
    await worker?.stop();
    await portal?.close();
  });

  /** The status of an initialize sent straight to the Worker (the body read, so the connection ends cleanly). */
  const initialize = async (headers: Record<string, string> = {}) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "test", version: "1" } } }),
    });
    await res.arrayBuffer();
    return res.status;
  };

  it("refuses a request without a proof, and one with a proof for another server or expired, with 401", async () => {
    expect(await initialize()).toBe(401);
    expect(await initialize({ [PROOF_HEADER]: await portal.proof("https://elsewhere.example/mcp") })).toBe(401);
    const long = Math.floor(Date.now() / 1000) - 600;
    expect(await initialize({ [PROOF_HEADER]: await portal.proof(url, { iat: long, exp: long + 60 }) })).toBe(401);
    expect(await initialize({ [PROOF_HEADER]: await portal.proof(url) })).toBe(200);
  });

  it("speaks 2026-07-28: server/discover, then calls without initialize or session", async () => {
    const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: "test", version: "1" }, "io.modelcontextprotocol/clientCapabilities": {} };
    const post = async (method: string, params: Record<string, unknown>, headers: Record<string, string> = {}) => {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28", "mcp-method": method, [PROOF_HEADER]: await portal.proof(url), ...headers },
        body: JSON.stringify({ jsonrpc: "2.0", id: 7, method, params: { ...params, _meta: meta } }),
      });
      return { status: res.status, body: (await res.json()) as { result?: Record<string, unknown>; error?: { code: number } } };
    };
    const discovered = await post("server/discover", {});
    expect(discovered.status).toBe(200);
    expect(discovered.body.result).toMatchObject({ supportedVersions: expect.arrayContaining(["2026-07-28", "2025-11-25"]), capabilities: { tools: {} } });
    const called = await post("tools/call", { name: "greet", arguments: {} }, { "mcp-name": "greet" });
    expect(called.body.result?.structuredContent).toMatchObject({ message: "Hello, ada@example.com!" });
    expect((await post("tools/call", { name: "greet", arguments: {} })).body.error?.code).toBe(-32020);
  });

  it("gives its tools the caller the proof names", async () => {
    const client = new Client({ name: "test", version: "1" });
    // A fresh proof on every request, as the portal sends them.
    const withProof = async (input: string | URL, init?: RequestInit) => fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers)), [PROOF_HEADER]: await portal.proof(url) } });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: withProof }));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(["greet"]);
    expect(tools[0]?.outputSchema).toBeDefined();
    const result = await client.callTool({ name: "greet", arguments: { greeting: "Hi" } });
    expect(result.structuredContent).toEqual({ message: "Hi, ada@example.com!", caller: { id: "user-1", email: "ada@example.com", teams: ["research"], kind: "user" } });
    await client.close();
  });
});
