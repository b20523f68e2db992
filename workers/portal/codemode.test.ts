/**
 * Code Mode at the portal, in workerd, through the official SDK client (2025-11-25, a sealed
 * session) and a raw 2026-07-28 client: `search` finds only the caller's tools, `execute` runs code
 * in the QuickJS sandbox whose every `codemode.*` call takes the per-call path (decided, pinned,
 * limited, audited with `via: "codemode"` and its parent), and the sandbox holds: no network, no
 * imports, no code from strings, no bindings, endless loops and huge allocations stopped, a flood of
 * calls stopped by the rate limit — while the portal keeps serving.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RateLimitSpec } from "@core/limits/schema";
import { generateEdgeSecret } from "@core/edge/secret";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { startEverythingServer, type RunningServer } from "@/testing/mcp-servers";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const TEAM_WEATHER = crypto.randomUUID();
const UPSTREAM_SECRET = "upstream-secret-token-c0de";

type ToolResult = { content?: { type: string; text?: string }[]; structuredContent?: Record<string, unknown>; isError?: boolean };

describe("Code Mode at the portal (search + execute, sandboxed, every inner call enforced and audited)", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let everything: RunningServer;
  let weather: Awaited<ReturnType<typeof startMutableServer>>;
  let shadow: Awaited<ReturnType<typeof startMutableServer>>; // approved, then put on the shadow-MCP block list
  let shadowBaseline = 0;
  let alice: TestUser; // weather team: everything and weather
  let bob: TestUser; // everything only
  let flood: TestUser; // everything, under a small rate limit
  const clients: Client[] = [];

  async function connect(user: TestUser, query = "?codemode=search_and_execute", path = "/mcp"): Promise<Client> {
    const client = new Client({ name: "codemode-sdk", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${portal.origin}${path}${query}`), { requestInit: { headers: { authorization: `Bearer ${user.token}` } } }));
    clients.push(client);
    return client;
  }
  /** Requests the blocked upstream received (none may arrive). */
  const shadowRequests = async () => ((await (await fetch(`${shadow.origin}/__fixture/requests`)).json()) as { requests: { method?: string }[] }).requests.length;
  const execute = async (client: Client, code: string) => (await client.callTool({ name: "execute", arguments: { code } })) as ToolResult;
  const search = async (client: Client, query: string, extra: Record<string, unknown> = {}) => (await client.callTool({ name: "search", arguments: { query, ...extra } })) as ToolResult;

  beforeAll(async () => {
    alice = await testUser("alice@example.test", [TEAM_WEATHER]);
    bob = await testUser("bob@example.test");
    flood = await testUser("flood@example.test");
    const edgeSecret = generateEdgeSecret();
    [everything, weather, shadow, sink] = await Promise.all([startEverythingServer("streamableHttp"), startMutableServer({ port: 0, bearer: UPSTREAM_SECRET }), startMutableServer({ port: 0 }), startEventSink(edgeSecret)]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret });
    const [ev, we, sh] = await Promise.all([
      approvedServer({ slug: "everything", url: `${everything.origin}/mcp`, edgeSecret, omit: ["get-env"], approval: ["get-sum"] }),
      approvedServer({ slug: "weather", url: weather.url, edgeSecret, credential: { type: "headers", headers: { authorization: `Bearer ${UPSTREAM_SECRET}` } }, wrongPin: ["list_forecasts"] }),
      approvedServer({ slug: "shadowwx", url: shadow.url, edgeSecret }),
    ]);
    const limit: RateLimitSpec = { id: crypto.randomUUID(), name: "flood", subject: { type: "user", userId: flood.id }, per: "user", scope: { kind: "mcp" }, limit: 12, windowSeconds: 3600 };
    const bundle = await bundleOf({
      servers: [ev, we, sh],
      users: [alice, bob, flood],
      teams: [{ id: TEAM_WEATHER, slug: "weather-team" }],
      rules: [allowRule({ type: "everyone" }, "everything"), allowRule({ type: "team", teamId: TEAM_WEATHER }, "weather"), allowRule({ type: "everyone" }, "shadowwx")],
      limits: { rateLimits: [limit], budgets: [] },
      blocklist: [{ id: crypto.randomUUID(), origin: new URL(shadow.url).origin, pathPrefix: "", reason: "Shadow MCP finding: blocked in test", findingId: crypto.randomUUID() }],
      codemode: { mode: "opt-in", shape: "search_and_execute" },
    });
    expect((await portal.push(bundle)).status).toBe(200);
    shadowBaseline = await shadowRequests();
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled([portal?.stop(), sink?.close(), everything?.stop(), weather?.close(), shadow?.close()]);
  });

  it("lists exactly search and execute on ?codemode=search_and_execute, one code tool with the typed API on ?codemode=code, the catalog without", async () => {
    const tools = (await (await connect(alice)).listTools()).tools;
    expect(tools.map((t) => t.name)).toEqual(["search", "execute"]);
    const codeClient = await connect(alice, "?codemode=code");
    const code = (await codeClient.listTools()).tools;
    const ran = (await codeClient.callTool({ name: "code", arguments: { code: `return (await codemode.weather_get_weather({ city: "Rome" })).length > 0` } })) as ToolResult;
    expect(ran.structuredContent).toMatchObject({ result: true });
    expect(((await codeClient.callTool({ name: "execute", arguments: { code: "return 1" } }).catch((e: Error) => e)) as Error).message).toMatch(/in Code Mode this portal offers code/);
    expect(code.map((t) => t.name)).toEqual(["code"]);
    expect(code[0]!.description).toContain("declare namespace codemode {");
    expect(code[0]!.description).toContain("function weather_get_weather(input: {");
    expect(code[0]!.description).not.toContain("list_forecasts"); // its live definition drifted from the pin
    const plain = (await (await connect(alice, "")).listTools()).tools.map((t) => t.name);
    expect(plain).toContain("weather_get_weather");
    expect(plain).not.toContain("search");
  });

  it("search finds the caller's tools as declarations, and never one it may not use or one quarantined", async () => {
    const client = await connect(alice);
    const found = await search(client, "weather city");
    expect(found.isError).toBeUndefined();
    const names = (found.structuredContent!.tools as { name: string }[]).map((t) => t.name);
    expect(names[0]).toBe("weather_get_weather");
    expect(found.content![0]!.text).toContain("function weather_get_weather(input: {");
    expect(names).not.toContain("weather_list_forecasts");
    expect((await search(client, "list_forecasts")).structuredContent!.tools).toEqual([]);
    // Bob may not use the weather server: nothing of it is found.
    const bobs = await search(await connect(bob), "weather", { limit: 20 });
    expect((bobs.structuredContent!.tools as { server: string }[]).every((t) => t.server === "everything")).toBe(true);
    // Pages: a cursor continues the same query and is refused for another.
    const first = await search(client, "", { limit: 2 });
    expect(first.structuredContent!.tools).toHaveLength(2);
    const next = await search(client, "", { limit: 2, cursor: first.structuredContent!.nextCursor });
    expect((next.structuredContent!.tools as { name: string }[])[0]!.name).not.toBe((first.structuredContent!.tools as { name: string }[])[0]!.name);
    const wrong = await search(client, "weather", { cursor: first.structuredContent!.nextCursor });
    expect(wrong.isError).toBe(true);
    expect(wrong.content![0]!.text).toMatch(/cursor/);
  });

  it("execute calls two tools in sequence and returns the combined result, each inner call audited as Code Mode's under its execute", async () => {
    const client = await connect(alice);
    const result = await execute(
      client,
      `const echoed = await codemode.everything_echo({ message: "hello" });
       const weather = await codemode.weather_get_weather({ city: "Paris" });
       console.log("got", typeof weather);
       return { echoed, weather };`,
    );
    expect(result.isError).toBeUndefined();
    const value = result.structuredContent as { result: { echoed: unknown; weather: unknown }; logs: string[] };
    expect(JSON.stringify(value.result.echoed)).toContain("hello");
    expect(JSON.stringify(value.result.weather)).toContain("Paris");
    expect(value.logs).toEqual(["log: got string"]);
    // The execute's event, and under it exactly its two calls.
    const childrenOf = (id: string) => sink.events.filter((e) => e.parentId === id);
    await expect
      .poll(() => sink.events.find((e) => e.tool === "execute" && e.email === "alice@example.test" && childrenOf(e.id).length === 2), { timeout: 15_000 })
      .toMatchObject({ via: "codemode", serverSlug: null, success: true, parentId: null });
    const parent = sink.events.find((e) => e.tool === "execute" && e.email === "alice@example.test" && childrenOf(e.id).length === 2)!;
    const inner = childrenOf(parent.id);
    expect(inner.map((e) => e.tool).sort()).toEqual(["echo", "get_weather"]);
    expect(inner.find((e) => e.tool === "get_weather")).toMatchObject({ method: "tools/call", serverSlug: "weather", via: "codemode", decision: "allowed", success: true });
  });

  it("refuses from code a tool the caller may not use, one quarantined and one that does not exist, and audits each refusal", async () => {
    const denied = await execute(await connect(bob), `return await codemode.weather_get_weather({ city: "Oslo" });`);
    expect(denied.isError).toBe(true);
    expect(denied.content![0]!.text).toMatch(/weather_get_weather: .*not available|not allowed/);
    expect(denied.structuredContent).toMatchObject({ line: 1 });
    const alices = await connect(alice);
    const quarantined = await execute(alices, `try { await codemode.weather_list_forecasts({}); } catch (e) { return e.message; }`);
    expect(JSON.stringify(quarantined.structuredContent)).toMatch(/weather_list_forecasts: .*(quarantined|changed)/i);
    // A server on the shadow-MCP block list: allowed by policy, yet never found and never called.
    expect(((await search(alices, "shadowwx", { limit: 20 })).structuredContent!.tools as { server: string }[]).some((t) => t.server === "shadowwx")).toBe(false);
    const blocked = await execute(alices, `return await codemode.shadowwx_get_weather({ city: "Oslo" });`);
    expect(blocked.isError).toBe(true);
    expect(blocked.content![0]!.text).toMatch(/shadowwx_get_weather: .*block list/);
    // Not one request from the portal since the test's own set-up listed it: no list, no pin check, no call.
    expect(await shadowRequests()).toBe(shadowBaseline);
    const unknown = await execute(alices, `return await codemode.nothing_here({});`);
    expect(unknown.isError).toBe(true);
    await expect.poll(() => sink.events.some((e) => e.via === "codemode" && e.email === "bob@example.test" && e.tool === "get_weather" && e.decision === "denied"), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => sink.events.some((e) => e.via === "codemode" && e.tool === "list_forecasts" && e.decision === "denied" && e.reason?.startsWith("TOOL_HASH_MISMATCH")), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => sink.events.some((e) => e.via === "codemode" && e.serverSlug === "shadowwx" && e.decision === "denied" && e.reason?.startsWith("SERVER_BLOCKED")), { timeout: 15_000 }).toBe(true);
  });

  it("keeps the code in its sandbox: no network, no imports, no code from strings, no bindings, no tricks through the codemode object", async () => {
    const client = await connect(alice);
    const cases: [string, RegExp][] = [
      [`return await fetch("http://127.0.0.1:1/")`, /fetch.*(not defined|undefined)/i],
      [`const { connect } = await import("cloudflare:sockets"); return connect("127.0.0.1:22")`, /import|module|not/i],
      [`return eval("1 + 1")`, /eval is not available/],
      [`return new Function("return 1")()`, /Function is not available/],
      [`return (async function () {}).constructor("return 1")()`, /Function is not available/],
      [`return codemode.constructor.constructor("return globalThis")()`, /not available|refused|Function/],
    ];
    for (const [code, error] of cases) {
      const result = await execute(client, code);
      expect(result.isError, code).toBe(true);
      expect(result.content![0]!.text, code).toMatch(error);
    }
    const globals = await execute(client, `return Object.getOwnPropertyNames(globalThis).filter((n) => /fetch|env|__call|__log|process|require|caches|crypto|WebSocket|connect/i.test(n))`);
    expect((globals.structuredContent as { result: unknown }).result).toEqual([]);
    const proto = await execute(
      client,
      `const seen = [];
       try { Object.setPrototypeOf(codemode, { get: () => 1 }); seen.push("prototype set"); } catch (e) { seen.push(e.name); }
       try { codemode.everything_echo = () => "forged"; seen.push("assigned"); } catch (e) { seen.push(e.name); }
       try { delete codemode.everything_echo; seen.push("deleted"); } catch (e) { seen.push(e.name); }
       seen.push(Object.getPrototypeOf(codemode), typeof codemode.__proto__, await codemode.everything_echo({ message: "real" }));
       return seen;`,
    );
    const seen = (proto.structuredContent as { result: unknown[] }).result;
    expect(seen.slice(0, 4)).toEqual(["TypeError", "TypeError", "TypeError", null]);
    expect(JSON.stringify(seen[5])).toContain("real");
  });

  it("stops a million inner calls at the caller's rate limit, each counted and audited", async () => {
    const client = await connect(flood);
    const result = await execute(client, `let n = 0;\nfor (let i = 0; i < 1e6; i++) { await codemode.everything_echo({ message: String(i) }); n++; }\nreturn n;`);
    expect(result.isError).toBe(true);
    expect(result.content![0]!.text).toMatch(/rate limit/i);
    await expect.poll(() => sink.events.some((e) => e.email === "flood@example.test" && e.via === "codemode" && e.decision === "denied" && e.reason?.startsWith("RATE_LIMITED")), { timeout: 15_000 }).toBe(true);
    // The limit counts the calls the code made, exactly (the execute's own lookup of the caller's tools does not count).
    await expect.poll(() => sink.events.filter((e) => e.email === "flood@example.test" && e.via === "codemode" && e.tool === "echo" && e.decision === "allowed").length, { timeout: 15_000 }).toBe(12);
  }, 60_000);

  it("serves mcp-remote as Claude Desktop runs it, at /mcp/{slug} with the server's own tool names", async () => {
    const configDir = mkdtempSync(path.join(tmpdir(), "mcp-remote-codemode-"));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [path.join(process.cwd(), "node_modules", "mcp-remote", "dist", "proxy.js"), `${portal.origin.replace("127.0.0.1", "localhost")}/mcp/everything?codemode=search_and_execute`, "--header", `Authorization:Bearer ${alice.token}`, "--host", "127.0.0.1"],
      env: { ...(process.env as Record<string, string>), MCP_REMOTE_CONFIG_DIR: configDir, BROWSER: "/bin/false" },
      stderr: "pipe",
    });
    const client = new Client({ name: "claude-desktop-like", version: "0.9" });
    try {
      await client.connect(transport);
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["search", "execute"]);
      const found = (await client.callTool({ name: "search", arguments: { query: "echo" } })) as ToolResult;
      expect(found.content![0]!.text).toContain("function echo(input: {");
      expect(found.content![0]!.text).not.toContain("weather");
      const ran = (await client.callTool({ name: "execute", arguments: { code: `return await codemode.echo({ message: "via mcp-remote" });` } })) as ToolResult;
      expect(JSON.stringify(ran.structuredContent)).toContain("via mcp-remote");
      await expect.poll(() => sink.events.some((e) => e.via === "codemode" && e.parentId && e.tool === "echo" && e.endpoint === "/mcp/everything" && e.clientName?.startsWith("claude-desktop-like")), { timeout: 15_000 }).toBe(true);
    } finally {
      await client.close();
      rmSync(configDir, { recursive: true, force: true });
    }
  }, 60_000);

  it("pauses a call of a tool that needs approval, asks the user through elicitation, and obeys and audits the answer", async () => {
    const asked: string[] = [];
    let answer: "accept" | "decline" = "accept";
    const client = new Client({ name: "codemode-asking", version: "1" }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return { action: answer, content: {} };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${portal.origin}/mcp?codemode=search_and_execute`), { requestInit: { headers: { authorization: `Bearer ${alice.token}` } } }));
    clients.push(client);
    const code = `const sum = await codemode.everything_get_sum({ a: 2, b: 3 });\nreturn sum;`;
    const approvedRun = (await client.callTool({ name: "execute", arguments: { code } })) as ToolResult;
    expect(approvedRun.isError).toBeUndefined();
    expect(JSON.stringify(approvedRun.structuredContent)).toContain("5");
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(/Code Mode wants to call everything_get-sum \(server "everything"\) with \{"a":2,"b":3\}\. Allow it\?/);

    answer = "decline";
    const declined = (await client.callTool({ name: "execute", arguments: { code } })) as ToolResult;
    expect(declined.isError).toBe(true);
    expect(declined.content![0]!.text).toMatch(/The user did not approve everything_get-sum \(decline\).*\(line 1\)/);
    expect(asked).toHaveLength(2);
    // A tool without the flag is not asked about.
    expect(((await client.callTool({ name: "execute", arguments: { code: `return await codemode.everything_echo({ message: "no question" })` } })) as ToolResult).isError).toBeUndefined();
    expect(asked).toHaveLength(2);

    await expect.poll(() => sink.events.some((e) => e.via === "codemode" && e.tool === "get-sum" && e.decision === "allowed" && e.reason?.endsWith("approved by the user")), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => sink.events.some((e) => e.via === "codemode" && e.tool === "get-sum" && e.decision === "denied" && e.reason?.startsWith("APPROVAL_DECLINE")), { timeout: 15_000 }).toBe(true);

    // A client that cannot be asked is refused, with the reason, and audited.
    const mute = await execute(await connect(alice), code);
    expect(mute.isError).toBe(true);
    expect(mute.content![0]!.text).toMatch(/needs the user's approval, and this client cannot be asked/);
    await expect.poll(() => sink.events.some((e) => e.tool === "get-sum" && e.reason?.startsWith("APPROVAL_UNAVAILABLE")), { timeout: 15_000 }).toBe(true);
  }, 60_000);

  it("serves a raw 2026-07-28 client too, and refuses an unknown ?codemode= value with a clear 400", async () => {
    const post = (query: string, method: string, params: Record<string, unknown>) =>
      fetch(`${portal.origin}/mcp${query}`, {
        method: "POST",
        headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28", "mcp-method": method, ...(params.name ? { "mcp-name": String(params.name) } : {}) },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: { ...params, _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" }, "io.modelcontextprotocol/clientCapabilities": {} } } }),
      });
    const listed = (await (await post("?codemode=search_and_execute", "tools/list", {})).json()) as { result: { tools: { name: string }[] } };
    expect(listed.result.tools.map((t) => t.name)).toEqual(["search", "execute"]);
    const ran = (await (await post("?codemode=search_and_execute", "tools/call", { name: "execute", arguments: { code: "return (await codemode.everything_echo({ message: 'raw' }))" } })).json()) as { result: ToolResult };
    expect(JSON.stringify(ran.result.structuredContent)).toContain("raw");
    const bad = await post("?codemode=yes", "tools/list", {});
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/codemode=yes is not a Code Mode shape/);
  });

  // Last in the file: under heavy load, the portal's queue delivered events late (tens of seconds) after a
  // sandbox blew its memory (seen twice in loaded full runs, cause not found); later tests wait for events.
  it("stops an endless loop and a huge allocation, reports an error with its line, and the portal keeps serving", async () => {
    const client = await connect(alice);
    const started = Date.now();
    const loop = await execute(client, `let i = 0;\nwhile (true) { i++; }`);
    expect(loop.isError).toBe(true);
    expect(loop.content![0]!.text).toMatch(/computation budget.*stopped/);
    expect(Date.now() - started).toBeLessThan(15_000);
    const memory = await execute(client, `const a = [];\nfor (;;) a.push({ filler: "x".repeat(1000) + a.length });`);
    expect(memory.isError).toBe(true);
    expect(memory.content![0]!.text).toMatch(/more than its 16 MB of memory/);
    const thrown = await execute(client, `const x = 1;\n\nthrow new Error("broken on purpose");`);
    expect(thrown.content![0]!.text).toBe("Error: broken on purpose (line 3)");
    const syntax = await execute(client, `const = ;`);
    expect(syntax.isError).toBe(true);
    expect(syntax.content![0]!.text).toMatch(/SyntaxError/);
    // Still serving, plain and Code Mode alike.
    expect((await execute(client, `return 6 * 7`)).structuredContent).toMatchObject({ result: 42 });
    expect((await (await connect(alice, "")).callTool({ name: "everything_echo", arguments: { message: "still here" } })).isError).toBeFalsy();
  }, 60_000);
});
