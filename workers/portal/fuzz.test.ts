/**
 * Hostile input against the portal in workerd, as anonymous, with a viewer's token and with a
 * member's token: `/mcp`, `/mcp/{slug}` and `/llm/*` get malformed JSON, JSON-RPC batches, odd ids,
 * unknown methods, bogus session ids, wrong Accept and Content-Type headers, deeply nested JSON,
 * NUL and invalid UTF-8 bytes, 1 MB strings and oversized bodies. Every answer must be a clear 4xx
 * (or a JSON-RPC error), never a 5xx, with nothing in it that shows the portal's insides (a stack
 * trace, a file path, SQL, a schema library's dump), and the portal must still serve a normal tool
 * call afterwards.
 *
 * Requests go out on a fresh connection each (`agent: false`): workerd closes a connection whose
 * body it did not read, and a pooled one would fail the next request instead of this one.
 */
import { request as httpRequest } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BundleLlmProvider } from "@core/bundle/schema";
import { llmCredentialAad } from "@core/edge/credential";
import { generateEdgeSecret, parseEdgeSecrets, sealForEdge } from "@core/edge/secret";
import { unstorableText } from "@core/text/storable";
import { startFakeLlmProvider, type FakeLlmProvider } from "@/testing/fake-llm";
import { startEverythingServer, type RunningServer } from "@/testing/mcp-servers";
import { allowRule, approvedServer, bundleOf, rawPost, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const PROVIDER_KEY = "sk-fuzz-provider-0123456789";
/** A stack frame, a source or install path, SQL, a runtime's internals, a schema library's issue dump. */
const LEAK = /\bat [\w$.<>[\]]+ \(|\/work\/|node_modules|\.[cm]?[jt]sx?:\d+|\bselect\b.+\bfrom\b|\binsert into\b|sqlite|workerd\/|kj::|ZodError|"code":\s*"(?:invalid_type|invalid_union|invalid_value|invalid_format|too_big|too_small|unrecognized_keys)"/i;
const MB = "x".repeat(1_000_000);
const DEEP_ARRAY = "[".repeat(100_000) + "]".repeat(100_000);
const deepObject = (depth: number) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
/** Bytes that are not UTF-8 (a lone continuation byte, an overlong form, a truncated sequence) inside a JSON string. */
const INVALID_UTF8 = (prefix: string, suffix: string) => Buffer.concat([Buffer.from(prefix), Buffer.from([0xff, 0xfe, 0x80, 0xc0, 0xaf, 0xe2, 0x82]), Buffer.from(suffix)]);
/** The member's sessions introduce their client so: every event of theirs carries the name, which the console must still be able to store. */
const CLIENT_NAME = "fuzz\u0000client\ud800";
const rpc = (method: unknown, params?: unknown, id: unknown = 1) => JSON.stringify({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });

/** A string or bytes, or pieces written one by one while the answer is read (testing/portal.ts rawPost). */
type Body = string | Buffer | { chunks: Buffer[]; chunked: boolean };
interface Probe {
  label: string;
  path: string;
  method?: string;
  /** Headers over the defaults (JSON content type, MCP's Accept, the caller's token, its session); `null` removes one. */
  headers?: Record<string, string | null>;
  body?: Body;
  /** How long to read an answer that is an endless stream (a legacy SSE session's); 10 s unless told. */
  readMs?: number;
}
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  contentType: string;
  text: string;
  ms: number;
}

const pieces = (bytes: Buffer, size = 64 * 1024) => Array.from({ length: Math.ceil(bytes.byteLength / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));

/**
 * One request on its own connection; the body as far as it comes within `readMs` (event streams may
 * stay open). A body the portal may answer before reading (oversized; any large one from a caller
 * it refuses) goes out piece by piece while the answer is read.
 */
async function send(origin: string, probe: Probe, headers: Record<string, string>, early: boolean, readMs = probe.readMs ?? 10_000): Promise<Answer> {
  const body = probe.body;
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  if (bytes !== undefined && (!Buffer.isBuffer(bytes) || (early && bytes.byteLength > 256 * 1024))) {
    const started = performance.now();
    const late = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${readMs} ms`)), readMs).unref());
    // A refused caller, and a body whose declared length is over the limit, are answered at once:
    // write slowly, so the answer is read before a further write meets the connection the portal
    // closed (a reset would discard it unread — a loaded CI run met that race for the member's
    // "2 MB declared" probe when only refused callers wrote slowly).
    const framed = Buffer.isBuffer(bytes) ? { chunks: pieces(bytes), chunked: false, slowAfterBytes: 0 } : early || !bytes.chunked ? { ...bytes, slowAfterBytes: 0 } : bytes;
    const answer = await Promise.race([rawPost(origin, probe.path, headers, framed), late]);
    return { status: answer.status, headers: {}, contentType: "", text: answer.text, ms: performance.now() - started };
  }
  const url = new URL(probe.path, origin);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: probe.method ?? "POST", headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const done = () => {
        clearTimeout(timer);
        res.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, contentType: String(res.headers["content-type"] ?? ""), text: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - started });
      };
      const timer = setTimeout(done, readMs);
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", done);
      res.on("error", done);
    });
    req.on("error", reject);
    req.end(bytes);
  });
}

/** What must hold for every answer; one line per violation. */
function problemsOf(caller: string, probe: Probe, answer: Answer): string[] {
  const where = `${caller} ${probe.method ?? "POST"} ${probe.path} [${probe.label}]`;
  const out: string[] = [];
  if (answer.status >= 500) out.push(`${where}: ${answer.status} ${answer.text.slice(0, 200)}`);
  const leak = LEAK.exec(answer.text);
  if (leak) out.push(`${where}: leaks ${JSON.stringify(leak[0])} in ${answer.text.slice(Math.max(0, leak.index - 80), leak.index + 80)}`);
  if (answer.ms > 8_000) out.push(`${where}: answered after ${Math.round(answer.ms)} ms`);
  if (probe.method === "HEAD" || probe.method === "OPTIONS") return out;
  if (answer.status >= 400) {
    let body: { error?: unknown; error_description?: unknown } | null = null;
    try {
      body = JSON.parse(answer.text) as { error?: unknown; error_description?: unknown };
    } catch {
      // reported below
    }
    const error = body?.error as { message?: unknown } | string | undefined;
    const message = typeof error === "string" ? (typeof body?.error_description === "string" ? body.error_description : error) : error?.message;
    if (typeof message !== "string" || message.length === 0) out.push(`${where}: ${answer.status} without a JSON error that says what is wrong: ${answer.text.slice(0, 200)}`);
    else if (message.length > 600) out.push(`${where}: ${answer.status} with a ${message.length}-character message`);
  } else if (caller !== "member" && answer.status < 300) {
    out.push(`${where}: answered ${answer.status} to the ${caller}`);
  }
  // JSON-RPC errors inside a 200 (JSON or event stream) are held to the same words.
  for (const [, message] of answer.text.matchAll(/"error":\{"code":-?\d+,"message":"((?:[^"\\]|\\.)*)"/g)) {
    if (message!.length > 600) out.push(`${where}: a JSON-RPC error with a ${message!.length}-character message`);
  }
  return out;
}

/** Probes of `/mcp` and `/mcp/{slug}`, sent inside the caller's session where it has one. */
function mcpProbes(path: string): Probe[] {
  const probes: Probe[] = [];
  const add = (label: string, body: Body | undefined, over: Partial<Probe> = {}) => probes.push({ label, path, body, ...over });
  for (const [label, text] of [
    ["malformed JSON", "{not json"],
    ["truncated", '{"jsonrpc":"2.0","id":1,"method":"tools/li'],
    ["empty body", ""],
    ["byte-order mark", "\ufeff" + rpc("ping")],
    ["JSON null", "null"],
    ["JSON number", "42"],
    ["JSON string", '"tools/list"'],
    ["empty object", "{}"],
    ["no method", '{"jsonrpc":"2.0","id":1}'],
    ["jsonrpc 1.0", JSON.stringify({ jsonrpc: "1.0", id: 1, method: "ping" })],
    ["single quotes", "{'jsonrpc':'2.0','id':1,'method':'ping'}"],
    ["duplicate keys", '{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/list"}'],
  ] as const) add(label, text);
  // Batches.
  add("empty batch", "[]");
  add("batch of numbers", "[1,2,3]");
  add("batch of ping and tools/list", `[${rpc("ping", undefined, 1)},${rpc("tools/list", undefined, 2)}]`);
  add("batch over 100", `[${Array.from({ length: 150 }, (_, i) => rpc("ping", undefined, i)).join(",")}]`);
  add("batch of 100 tools/list", `[${Array.from({ length: 100 }, (_, i) => rpc("tools/list", undefined, i)).join(",")}]`);
  add("batch with initialize", `[${rpc("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } })},${rpc("ping", undefined, 2)}]`);
  add("batch with garbage", `[{},${rpc("ping")},null]`);
  add("nested batch", `[[${rpc("ping")}]]`);
  add("batch of a response and a notification", `[{"jsonrpc":"2.0","id":99,"result":{}},{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":99}}]`);
  // Odd ids.
  for (const [label, id] of [
    ["object id", { a: 1 }],
    ["array id", [1]],
    ["huge id", 1e308],
    ["unsafe integer id", 2 ** 53 + 2],
    ["float id", 1.5],
    ["negative zero id", -0],
    ["null id", null],
    ["boolean id", true],
    ["1 MB string id", MB],
  ] as const) add(label, rpc("ping", undefined, id));
  // Unknown and hostile methods.
  for (const method of ["foo/bar", "", "rpc.discover", "__proto__", "constructor", "toString", "tools/call/../../x", "x".repeat(10_000), "sampling/createMessage", "notifications/initialized", 42, null]) {
    add(`method ${JSON.stringify(method)?.slice(0, 24)}`, rpc(method));
  }
  // Params, each hostile in its own way.
  for (const [label, method, params] of [
    ["params as a string", "tools/list", "x"],
    ["params as an array", "tools/call", ["everything_echo"]],
    ["tool name __proto__", "tools/call", { name: "__proto__" }],
    ["prototype pollution in arguments", "tools/call", JSON.parse('{"name":"everything_echo","arguments":{"__proto__":{"polluted":true},"message":"x"}}')],
    ["tool name of 100 KB", "tools/call", { name: "x".repeat(100_000) }],
    ["tool name with NUL", "tools/call", { name: "everything_echo\u0000" }],
    ["tool name with a lone surrogate", "tools/call", { name: "everything_\ud800echo" }],
    ["1 MB argument", "tools/call", { name: "everything_echo", arguments: { message: MB } }],
    ["cursor of 1 MB", "tools/list", { cursor: MB }],
    ["file URI", "resources/read", { uri: "file:///etc/passwd" }],
    ["javascript URI", "resources/read", { uri: "javascript:alert(1)" }],
    ["1 MB URI", "resources/subscribe", { uri: MB }],
    ["prompt name with NUL", "prompts/get", { name: "\u0000" }],
    ["completion of nothing", "completion/complete", { ref: { type: "ref/resource", uri: "" }, argument: { name: "", value: "" } }],
    ["log level", "logging/setLevel", { level: "emergency" }],
    ["progress token object", "tools/list", { _meta: { progressToken: { a: 1 } } }],
  ] as const) add(label, rpc(method, params));
  add("arguments nested 5,000 deep", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"everything_echo","arguments":{"message":"x","deep":${deepObject(5_000)}}}}`);
  add("deeply nested array", DEEP_ARRAY);
  add("params nested 100,000 deep", `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":${deepObject(100_000)}}`);
  add("raw NUL byte in a string", Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a\u0000b"}}`));
  add("escaped NUL", '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a\\u0000b"}}');
  add("escaped lone surrogate", '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"everything_echo","arguments":{"message":"a\\ud800b"}}}');
  add("invalid UTF-8 in a string", INVALID_UTF8('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"everything_echo","arguments":{"message":"', '"}}}'));
  add("invalid UTF-8 outside strings", Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
  // Headers.
  for (const session of ["x", "00000000-0000-0000-0000-000000000000", "'; DROP TABLE sessions; --", "a".repeat(8_000), "../../etc/passwd", "ffffffff-ffff-ffff-ffff-ffffffffffff"]) {
    add(`session id ${session.slice(0, 16)}`, rpc("tools/list"), { headers: { "mcp-session-id": session } });
  }
  add("no session id", rpc("tools/list"), { headers: { "mcp-session-id": null } });
  for (const accept of [null, "text/html", "application/json", "text/event-stream", "*/*"]) add(`Accept ${accept}`, rpc("tools/list"), { headers: { accept } });
  for (const type of [null, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16", "application/jsonx"]) {
    add(`Content-Type ${type}`, rpc("tools/list"), { headers: { "content-type": type } });
  }
  for (const version of ["1999-01-01", "garbage", "x".repeat(2_000)]) add(`protocol version ${version.slice(0, 12)}`, rpc("tools/list"), { headers: { "mcp-protocol-version": version } });
  add("a foreign Origin", rpc("tools/list"), { headers: { origin: "https://evil.example" } });
  add("Origin null", rpc("tools/list"), { headers: { origin: "null" } });
  // Methods and sizes.
  add("GET without a session, not accepting SSE", undefined, { method: "GET", headers: { "mcp-session-id": null, accept: "application/json" } });
  // Accepting an event stream, it opens a legacy HTTP+SSE session (2024-11-05): an endless stream, read briefly.
  add("GET without a session (legacy SSE)", undefined, { method: "GET", headers: { "mcp-session-id": null }, readMs: 1_000 });
  for (const session of ["x", "00000000-0000-0000-0000-000000000000", "'; DROP TABLE sessions; --", "a".repeat(8_000), "../../etc/passwd"]) {
    add(`legacy POST to sessionId ${session.slice(0, 16)}`, rpc("tools/list"), { path: `${path}?sessionId=${encodeURIComponent(session)}`, headers: { "mcp-session-id": null } });
  }
  add("legacy POST to two sessionIds", rpc("tools/list"), { path: `${path}?sessionId=0badc0de-0000-4000-8000-000000000000&sessionId=x`, headers: { "mcp-session-id": null } });
  add("GET with a bogus session", undefined, { method: "GET", headers: { "mcp-session-id": "00000000-0000-0000-0000-000000000000" } });
  add("DELETE with a bogus session", undefined, { method: "DELETE", headers: { "mcp-session-id": "00000000-0000-0000-0000-000000000000" } });
  for (const method of ["PUT", "PATCH", "HEAD", "OPTIONS"]) add(method, rpc("tools/list"), { method });
  add("2 MB declared", { chunks: pieces(Buffer.alloc(2_000_000, "x")), chunked: false });
  add("20 MB declared, 2 MB sent", { chunks: pieces(Buffer.alloc(2_000_000, "x")), chunked: false }, { headers: { "content-length": "20000000" } });
  add("2 MB chunked", { chunks: pieces(Buffer.alloc(2_000_000, "x")), chunked: true });
  return probes;
}

/** Probes of the LLM gateway. */
function llmProbes(): Probe[] {
  const chat = "/llm/openai/v1/chat/completions";
  const probes: Probe[] = [];
  const add = (label: string, path: string, body: Body | undefined, over: Partial<Probe> = {}) => probes.push({ label, path, body, ...over });
  const ok = (extra: Record<string, unknown> = {}) => JSON.stringify({ model: "gpt-test-1", messages: [{ role: "user", content: "hello" }], ...extra });
  for (const path of ["/llm/nope/v1/chat/completions", "/llm/openai/v1/unknown", "/llm/openai", "/llm/", "/llm/openai/v1/../../_portcullis/status", "/llm/OPENAI/v1/chat/completions", "/llm/openai/v1/chat/completions?x=%00%ff"]) {
    add(`path ${path.slice(0, 30)}`, path, ok());
  }
  add("models", "/llm/openai/v1/models", undefined, { method: "GET" });
  for (const [label, text] of [
    ["malformed JSON", "{not json"],
    ["empty body", ""],
    ["JSON null", "null"],
    ["JSON array", "[]"],
    ["JSON number", "42"],
    ["deeply nested array", DEEP_ARRAY],
    ["nested 100,000 deep", deepObject(100_000)],
    ["messages nested 5,000 deep", `{"model":"gpt-test-1","messages":[{"role":"user","content":${deepObject(5_000)}}]}`],
    ["model as an object", ok({ model: { a: 1 } })],
    ["messages as a string", ok({ messages: "hi" })],
    ["model with NUL", ok({ model: "gpt\u0000" })],
    ["escaped lone surrogate", '{"model":"gpt-test-1","messages":[{"role":"user","content":"a\\ud800b"}]}'],
    ["1 MB content", ok({ messages: [{ role: "user", content: MB }] })],
    ["max_tokens -1", ok({ max_tokens: -1 })],
    ["max_tokens 1e308", ok({ max_tokens: 1e308 })],
    ["max_tokens unsafe", ok({ max_tokens: 2 ** 53 + 2 })],
    ["max_tokens as text", ok({ max_tokens: "lots" })],
    ["stream as text", ok({ stream: "yes" })],
    ["stream_options as text", ok({ stream: true, stream_options: "x" })],
    ["__proto__", '{"__proto__":{"polluted":true},"model":"gpt-test-1","messages":[]}'],
  ] as const) add(label, chat, text);
  add("anthropic malformed", "/llm/claude/v1/messages", "{not json", { headers: { "anthropic-version": "2023-06-01" } });
  add("anthropic max_tokens -5", "/llm/claude/v1/messages", JSON.stringify({ model: "claude-test", max_tokens: -5, messages: [{ role: "user", content: [{ type: "text", text: 5 }] }] }), { headers: { "anthropic-version": "2023-06-01" } });
  add("raw NUL byte", chat, Buffer.from(`{"model":"gpt-test-1","messages":[{"role":"user","content":"a\u0000b"}]}`));
  add("invalid UTF-8", chat, INVALID_UTF8('{"model":"gpt-test-1","messages":[{"role":"user","content":"', '"}]}'));
  add("text/plain", chat, ok(), { headers: { "content-type": "text/plain" } });
  add("no Content-Type", chat, ok(), { headers: { "content-type": null } });
  add("form-encoded", chat, "model=gpt&messages=x", { headers: { "content-type": "application/x-www-form-urlencoded" } });
  add("bogus cache TTL", chat, ok(), { headers: { "x-portcullis-cache-ttl": "-1e999" } });
  add("PUT", chat, ok(), { method: "PUT" });
  add("DELETE", chat, undefined, { method: "DELETE" });
  add("11 MB declared", chat, { chunks: pieces(Buffer.alloc(11 * 1024 * 1024, "x")), chunked: false });
  add("11 MB chunked", chat, { chunks: pieces(Buffer.alloc(11 * 1024 * 1024, "x")), chunked: true });
  return probes;
}

describe("hostile input at the portal (workerd)", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let everything: RunningServer;
  let fake: FakeLlmProvider;
  let member: TestUser;
  let viewer: TestUser;

  beforeAll(async () => {
    const edgeSecret = generateEdgeSecret();
    [everything, fake, sink] = await Promise.all([startEverythingServer("streamableHttp"), startFakeLlmProvider({ expectedKey: PROVIDER_KEY }), startEventSink(edgeSecret)]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret });
    member = await testUser("member@fuzz.test");
    viewer = await testUser("viewer@fuzz.test", [], [], { role: "viewer", scopes: ["read"] });
    const secrets = await parseEdgeSecrets(edgeSecret);
    const provider = async (slug: string, kind: "openai" | "anthropic"): Promise<BundleLlmProvider> => {
      const id = crypto.randomUUID();
      return { id, slug, name: slug, kind, baseUrl: `${fake.url}/v1`, credential: await sealForEdge(JSON.stringify({ apiKey: PROVIDER_KEY }), secrets, llmCredentialAad(id)), cacheTtlSeconds: 60, logBodies: true };
    };
    const server = await approvedServer({ slug: "everything", url: `${everything.origin}/mcp`, edgeSecret });
    const bundle = await bundleOf({
      servers: [server],
      users: [member, viewer],
      rules: ["everything", "openai", "claude"].map((slug) => allowRule({ type: "everyone" }, slug)),
      llm: { providers: [await provider("openai", "openai"), await provider("claude", "anthropic")], prices: [{ provider: "openai", model: "gpt-test*", inputPerMTok: 1, outputPerMTok: 2 }] },
    });
    expect((await portal.push(bundle)).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([portal?.stop(), sink?.close(), everything?.stop(), fake?.close()]);
  });

  /** A session of the member's at `path`, opened as a client would (initialize, then initialized). */
  async function openSession(path: string): Promise<string> {
    const headers = { authorization: `Bearer ${member.token}`, "content-type": "application/json", accept: "application/json, text/event-stream" };
    const init = await send(portal.origin, { label: "initialize", path, body: rpc("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: CLIENT_NAME, version: "1" } }) }, headers, false);
    expect(init.status).toBe(200);
    const session = String(init.headers["mcp-session-id"]);
    const ack = await send(portal.origin, { label: "initialized", path, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) }, { ...headers, "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" }, false);
    expect(ack.status).toBe(202);
    return session;
  }

  it.each(["anonymous", "viewer", "member"] as const)(
    "answers every hostile request as %s with a clear 4xx or a JSON-RPC answer, never a 5xx, and leaks nothing",
    async (caller) => {
      const token = caller === "member" ? member.token : caller === "viewer" ? viewer.token : null;
      const sessions = new Map<string, string>();
      if (caller === "member") for (const path of ["/mcp", "/mcp/everything"]) sessions.set(path, await openSession(path));
      const probes: Probe[] = [
        ...["/mcp", "/mcp/everything"].flatMap(mcpProbes),
        ...["/mcp/", "/mcp/nope", "/mcp/EVERYTHING", "/mcp/everything/extra", "/mcp/%00", "/mcp/..%2f..%2f_portcullis%2fstatus", "/mcp/everything?x=%ff"].map((path) => ({ label: "odd path", path, body: rpc("tools/list") })),
        ...llmProbes(),
      ];
      const problems: string[] = [];
      for (const probe of probes) {
        const session = sessions.get(probe.path) ?? "0badc0de-0000-4000-8000-000000000000";
        const defaults: Record<string, string | null> = {
          "content-type": "application/json",
          accept: probe.path.startsWith("/mcp") ? "application/json, text/event-stream" : "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(probe.path.startsWith("/mcp") ? { "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" } : {}),
        };
        const headers = Object.fromEntries(Object.entries({ ...defaults, ...probe.headers }).filter((e): e is [string, string] => e[1] !== null));
        let answer: Answer;
        try {
          answer = await send(portal.origin, probe, headers, caller !== "member");
        } catch (error) {
          problems.push(`${caller} ${probe.method ?? "POST"} ${probe.path} [${probe.label}]: no answer (${error instanceof Error ? error.message : String(error)})`);
          continue;
        }
        problems.push(...problemsOf(caller, probe, answer));
      }
      // One line each, so a failure names every probe at once.
      expect(problems.join("\n")).toBe("");
      expect(probes.length).toBeGreaterThan(200);

      // Still serving: the member's normal tool call, and the others still refused.
      const client = new Client({ name: "after-fuzz", version: "1" });
      await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", portal.origin), { requestInit: { headers: { authorization: `Bearer ${member.token}` } } }));
      const echo = await client.callTool({ name: "everything_echo", arguments: { message: "still serving" } });
      expect(JSON.stringify(echo.content)).toContain("still serving");
      await client.close();
      const anonymous = await send(portal.origin, { label: "after", path: "/mcp", body: rpc("tools/list") }, { "content-type": "application/json", accept: "application/json, text/event-stream" }, true);
      expect(anonymous.status).toBe(401);
      const asViewer = await send(portal.origin, { label: "after", path: "/mcp", body: rpc("tools/list") }, { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${viewer.token}` }, true);
      expect(asViewer.status).toBe(403);

      // The audit trail holds what the member did, in text the console's database can store (a NUL
      // in a client name used to make the console refuse, and the portal drop, every such event).
      if (caller === "member") {
        await expect.poll(() => sink.events.filter((e) => e.userId === member.id).length, { timeout: 20_000 }).toBeGreaterThan(50);
        expect(sink.events.filter((e) => e.userId === member.id && e.sessionId === sessions.get("/mcp")).map((e) => e.clientName)).toContain("fuzz\ufffdclient\ufffd");
        const unstorable = sink.events.map((e) => [e.id, e.method, unstorableText(e, 8)] as const).filter(([, , problem]) => problem !== null);
        expect(unstorable).toEqual([]);
      }
    },
    600_000,
  );
});
