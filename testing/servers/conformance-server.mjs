#!/usr/bin/env node
/**
 * The upstream MCP server for protocol-fidelity runs: it implements every *server* scenario of the
 * official conformance suite (`@modelcontextprotocol/conformance` 0.1.13), so the same suite can be
 * run once against it directly and once through the portal's `/mcp/{slug}`, and the two results
 * compared (scripts/conformance.mjs).
 *
 *   PORT=3320 node testing/servers/conformance-server.mjs     (PORT=0 picks a free port)
 *   → "conformance server listening on http://127.0.0.1:<port>/mcp"
 *
 * Streamable HTTP on the official SDK, stateful: one SDK `Server` + transport per session
 * (`Mcp-Session-Id`), responses as SSE streams, an in-memory event store per session so a client can
 * resume a stream with `Last-Event-ID` (SEP-1699), priming events with `retry:`.
 *
 * What the suite calls, by scenario:
 *   tools       test_simple_text, test_image_content, test_audio_content, test_embedded_resource,
 *               test_multiple_content_types, test_tool_with_logging (3 log notifications),
 *               test_tool_with_progress (0/50/100 progress notifications), test_error_handling
 *               (isError result), test_sampling (sampling/createMessage to the client during the
 *               call), test_elicitation, test_elicitation_sep1034_defaults,
 *               test_elicitation_sep1330_enums (elicitation/create to the client), test_reconnection
 *               (closes its SSE stream mid-call; the result is replayed after the client resumes),
 *               json_schema_2020_12_tool (raw 2020-12 input schema, kept verbatim)
 *   resources   test://static-text, test://static-binary, test://watched-resource (subscribable),
 *               template test://template/{id}/data
 *   prompts     test_simple_prompt, test_prompt_with_arguments, test_prompt_with_embedded_resource,
 *               test_prompt_with_image
 *   utilities   ping, logging/setLevel (honoured: lower levels are dropped), completion/complete,
 *               resources/subscribe + unsubscribe
 *   transport   DNS-rebinding protection: a Host or Origin that is not localhost/127.0.0.1/[::1]
 *               gets 403 (extra names through `allowedHosts` / ALLOWED_HOSTS, comma-separated).
 *
 * Optional `bearer` / FIXTURE_BEARER: every /mcp request must carry `Authorization: Bearer <it>`
 * (401 otherwise), as an upstream whose credential the portal holds.
 *
 * Beyond the suite, for the portal's own tests of what the suite does not observe:
 *   test_update_watched_resource  changes test://watched-resource and sends
 *                                 notifications/resources/updated to the subscribed session, on its
 *                                 standalone GET stream (not tied to a request).
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { setInterval, clearInterval } from "node:timers";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  isInitializeRequest,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  LoggingLevelSchema,
  McpError,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";

const SERVER_INFO = { name: "portcullis-conformance-fixture", version: "1.0.0" };

/** 1×1 red PNG. */
const PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";

/** A valid WAV file: 8 kHz, mono, 16-bit PCM, 8 samples of silence. */
function silentWavBase64(samples = 8) {
  const dataBytes = samples * 2;
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write("RIFF", 0);
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write("WAVE", 8);
  wav.write("fmt ", 12);
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // channels
  wav.writeUInt32LE(8000, 24); // sample rate
  wav.writeUInt32LE(16000, 28); // byte rate
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write("data", 36);
  wav.writeUInt32LE(dataBytes, 40);
  return wav.toString("base64");
}
const WAV_BASE64 = silentWavBase64();

const EMPTY_OBJECT_SCHEMA = { type: "object", properties: {} };
const text = (value) => ({ type: "text", text: value });

// --- Tools -------------------------------------------------------------------------------------

// The scenario json-schema-2020-12 checks that these keywords reach the client untouched (SEP-1613);
// that is why the fixture uses the low-level Server with plain JSON Schemas instead of zod shapes.
const JSON_SCHEMA_2020_12 = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  $defs: { address: { type: "object", properties: { street: { type: "string" }, city: { type: "string" } } } },
  properties: { name: { type: "string" }, address: { $ref: "#/$defs/address" } },
  additionalProperties: false,
};

const TOOLS = [
  { name: "test_simple_text", description: "Returns one text content item.", inputSchema: EMPTY_OBJECT_SCHEMA },
  { name: "test_image_content", description: "Returns a PNG image content item.", inputSchema: EMPTY_OBJECT_SCHEMA },
  { name: "test_audio_content", description: "Returns a WAV audio content item.", inputSchema: EMPTY_OBJECT_SCHEMA },
  { name: "test_embedded_resource", description: "Returns an embedded text resource.", inputSchema: EMPTY_OBJECT_SCHEMA },
  { name: "test_multiple_content_types", description: "Returns text, image and resource content.", inputSchema: EMPTY_OBJECT_SCHEMA },
  { name: "test_tool_with_logging", description: "Sends three info log notifications while it runs.", inputSchema: EMPTY_OBJECT_SCHEMA },
  { name: "test_tool_with_progress", description: "Reports progress 0, 50 and 100 of 100 when given a progress token.", inputSchema: EMPTY_OBJECT_SCHEMA },
  { name: "test_error_handling", description: "Always fails with an isError result.", inputSchema: EMPTY_OBJECT_SCHEMA },
  {
    name: "test_sampling",
    description: "Asks the client's LLM (sampling/createMessage) and returns its answer.",
    inputSchema: { type: "object", properties: { prompt: { type: "string", description: "The prompt to send to the LLM" } }, required: ["prompt"] },
  },
  {
    name: "test_elicitation",
    description: "Asks the user for a username and e-mail (elicitation/create) and returns the answer.",
    inputSchema: { type: "object", properties: { message: { type: "string", description: "The message to show the user" } }, required: ["message"] },
  },
  { name: "test_elicitation_sep1034_defaults", description: "Elicitation whose fields all carry default values (SEP-1034).", inputSchema: EMPTY_OBJECT_SCHEMA },
  { name: "test_elicitation_sep1330_enums", description: "Elicitation with the five enum schema variants (SEP-1330).", inputSchema: EMPTY_OBJECT_SCHEMA },
  { name: "test_reconnection", description: "Closes its SSE stream mid-call; the result arrives after the client resumes (SEP-1699).", inputSchema: EMPTY_OBJECT_SCHEMA },
  { name: "json_schema_2020_12_tool", description: "Tool with JSON Schema 2020-12 features", inputSchema: JSON_SCHEMA_2020_12 },
  { name: "test_update_watched_resource", description: "Changes test://watched-resource and notifies its subscribers.", inputSchema: EMPTY_OBJECT_SCHEMA },
];

const ELICITATION_SEP1034_SCHEMA = {
  type: "object",
  properties: {
    name: { type: "string", description: "User name", default: "John Doe" },
    age: { type: "integer", description: "User age", default: 30 },
    score: { type: "number", description: "User score", default: 95.5 },
    status: { type: "string", description: "User status", enum: ["active", "inactive", "pending"], default: "active" },
    verified: { type: "boolean", description: "Verification status", default: true },
  },
};

const ELICITATION_SEP1330_SCHEMA = {
  type: "object",
  properties: {
    untitledSingle: { type: "string", description: "Untitled single-select", enum: ["option1", "option2", "option3"] },
    titledSingle: {
      type: "string",
      description: "Titled single-select",
      oneOf: [
        { const: "value1", title: "First Option" },
        { const: "value2", title: "Second Option" },
        { const: "value3", title: "Third Option" },
      ],
    },
    legacyEnum: {
      type: "string",
      description: "Legacy titled enum (enumNames is deprecated)",
      enum: ["opt1", "opt2", "opt3"],
      enumNames: ["Option One", "Option Two", "Option Three"],
    },
    untitledMulti: { type: "array", description: "Untitled multi-select", items: { type: "string", enum: ["option1", "option2", "option3"] } },
    titledMulti: {
      type: "array",
      description: "Titled multi-select",
      items: {
        anyOf: [
          { const: "value1", title: "First Choice" },
          { const: "value2", title: "Second Choice" },
          { const: "value3", title: "Third Choice" },
        ],
      },
    },
  },
};

// --- Resources and prompts ---------------------------------------------------------------------

const WATCHED_URI = "test://watched-resource";
const TEMPLATE = /^test:\/\/template\/([^/]+)\/data$/;

const RESOURCES = [
  { uri: "test://static-text", name: "static-text", description: "A static text resource.", mimeType: "text/plain" },
  { uri: "test://static-binary", name: "static-binary", description: "A static binary resource (PNG).", mimeType: "image/png" },
  { uri: WATCHED_URI, name: "watched-resource", description: "A resource that can be subscribed to.", mimeType: "text/plain" },
];

const RESOURCE_TEMPLATES = [
  { uriTemplate: "test://template/{id}/data", name: "template-data", description: "Data for an id.", mimeType: "application/json" },
];

const PROMPTS = [
  { name: "test_simple_prompt", description: "A prompt without arguments." },
  {
    name: "test_prompt_with_arguments",
    description: "A prompt with two required arguments.",
    arguments: [
      { name: "arg1", description: "First test argument", required: true },
      { name: "arg2", description: "Second test argument", required: true },
    ],
  },
  {
    name: "test_prompt_with_embedded_resource",
    description: "A prompt that embeds a resource.",
    arguments: [{ name: "resourceUri", description: "URI of the resource to embed", required: true }],
  },
  { name: "test_prompt_with_image", description: "A prompt with image content." },
];

/** Completion candidates per `ref` and argument; the answer is those starting with the typed value. */
const COMPLETIONS = {
  "ref/prompt:test_prompt_with_arguments": {
    arg1: ["test", "testing", "tested", "paris", "park", "party"],
    arg2: ["test", "testing", "tested", "world", "word"],
  },
  "ref/prompt:test_prompt_with_embedded_resource": { resourceUri: ["test://static-text", "test://static-binary", WATCHED_URI] },
  "ref/resource:test://template/{id}/data": { id: ["1", "2", "3", "123"] },
};

function getPrompt(name, args = {}) {
  const required = (key) => {
    if (typeof args[key] !== "string") throw new McpError(ErrorCode.InvalidParams, `Missing required argument ${key}`);
    return args[key];
  };
  switch (name) {
    case "test_simple_prompt":
      return { messages: [{ role: "user", content: text("This is a simple prompt for testing.") }] };
    case "test_prompt_with_arguments":
      return { messages: [{ role: "user", content: text(`Prompt with arguments: arg1='${required("arg1")}', arg2='${required("arg2")}'`) }] };
    case "test_prompt_with_embedded_resource":
      return {
        messages: [
          { role: "user", content: { type: "resource", resource: { uri: required("resourceUri"), mimeType: "text/plain", text: "Embedded resource content for testing." } } },
          { role: "user", content: text("Please process the embedded resource above.") },
        ],
      };
    case "test_prompt_with_image":
      return {
        messages: [
          { role: "user", content: { type: "image", data: PNG_BASE64, mimeType: "image/png" } },
          { role: "user", content: text("Please analyze the image above.") },
        ],
      };
    default:
      throw new McpError(ErrorCode.InvalidParams, `Unknown prompt ${name}`);
  }
}

// --- Sessions ----------------------------------------------------------------------------------

/**
 * Per-session event store for resumable SSE streams: the SDK stores every event it writes (and the
 * empty priming event), and replays a stream's later events when the client comes back with
 * `Last-Event-ID`.
 */
function createEventStore() {
  const events = []; // { id, streamId, seq, message }, in write order
  const byId = new Map();
  let seq = 0;
  return {
    async storeEvent(streamId, message) {
      const event = { id: `${streamId}:${++seq}`, streamId, seq, message };
      events.push(event);
      byId.set(event.id, event);
      return event.id;
    },
    async getStreamIdForEventId(eventId) {
      return byId.get(eventId)?.streamId;
    },
    async replayEventsAfter(lastEventId, { send }) {
      const last = byId.get(lastEventId);
      if (!last) throw new Error(`Unknown event id ${lastEventId}`);
      for (const event of events) {
        // The priming event has no message; there is nothing to replay for it.
        if (event.streamId === last.streamId && event.seq > last.seq && Object.keys(event.message).length > 0) {
          await send(event.id, event.message);
        }
      }
      return last.streamId;
    },
  };
}

const LOG_SEVERITY = new Map(LoggingLevelSchema.options.map((level, index) => [level, index]));

/** One SDK server per session: its log level, subscriptions and the watched resource are per session. */
function createSessionServer() {
  const server = new Server(SERVER_INFO, {
    capabilities: {
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      logging: {},
      completions: {},
    },
  });
  let logLevel; // unset: everything is sent
  const subscriptions = new Set();
  let watchedVersion = 1;

  server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    logLevel = request.params.level;
    return {};
  });

  /** A log notification tied to the request, so it travels on that request's SSE stream. */
  const log = (extra, level, data) =>
    logLevel && LOG_SEVERITY.get(level) < LOG_SEVERITY.get(logLevel)
      ? Promise.resolve()
      : extra.sendNotification({ method: "notifications/message", params: { level, logger: "conformance-fixture", data } });

  const clientCan = (capability) => Boolean(server.getClientCapabilities()?.[capability]);

  const elicit = async (extra, params) => {
    if (!clientCan("elicitation")) return { isError: true, content: [text("The client does not support elicitation.")] };
    const result = await extra.sendRequest({ method: "elicitation/create", params: { mode: "form", ...params } }, ElicitResultSchema);
    return { content: [text(`Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`)] };
  };

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOLS }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const args = request.params.arguments ?? {};
    switch (request.params.name) {
      case "test_simple_text":
        return { content: [text("This is a simple text response for testing.")] };
      case "test_image_content":
        return { content: [{ type: "image", data: PNG_BASE64, mimeType: "image/png" }] };
      case "test_audio_content":
        return { content: [{ type: "audio", data: WAV_BASE64, mimeType: "audio/wav" }] };
      case "test_embedded_resource":
        return { content: [{ type: "resource", resource: { uri: "test://embedded-resource", mimeType: "text/plain", text: "This is an embedded resource content." } }] };
      case "test_multiple_content_types":
        return {
          content: [
            text("Multiple content types test:"),
            { type: "image", data: PNG_BASE64, mimeType: "image/png" },
            { type: "resource", resource: { uri: "test://mixed-content-resource", mimeType: "application/json", text: JSON.stringify({ test: "data", value: 123 }) } },
          ],
        };
      case "test_tool_with_logging":
        await log(extra, "info", "Tool execution started");
        await sleep(50);
        await log(extra, "info", "Tool processing data");
        await sleep(50);
        await log(extra, "info", "Tool execution completed");
        return { content: [text("Tool with logging executed successfully")] };
      case "test_tool_with_progress": {
        const progressToken = request.params._meta?.progressToken;
        for (const [index, progress] of [0, 50, 100].entries()) {
          if (index > 0) await sleep(50);
          if (progressToken !== undefined) {
            await extra.sendNotification({ method: "notifications/progress", params: { progressToken, progress, total: 100, message: `Completed ${progress} of 100` } });
          }
        }
        return { content: [text(`Progress reported for token ${String(progressToken ?? "none")}`)] };
      }
      case "test_error_handling":
        return { isError: true, content: [text("This tool intentionally returns an error for testing")] };
      case "test_sampling": {
        if (!clientCan("sampling")) return { isError: true, content: [text("The client does not support sampling.")] };
        const result = await extra.sendRequest(
          { method: "sampling/createMessage", params: { messages: [{ role: "user", content: text(String(args.prompt ?? "")) }], maxTokens: 100 } },
          CreateMessageResultSchema,
        );
        return { content: [text(`LLM response: ${result.content?.type === "text" ? result.content.text : JSON.stringify(result.content)}`)] };
      }
      case "test_elicitation":
        return elicit(extra, {
          message: String(args.message ?? ""),
          requestedSchema: {
            type: "object",
            properties: { username: { type: "string", description: "User's response" }, email: { type: "string", description: "User's email address" } },
            required: ["username", "email"],
          },
        });
      case "test_elicitation_sep1034_defaults":
        return elicit(extra, { message: "Please review and update the form fields with defaults", requestedSchema: ELICITATION_SEP1034_SCHEMA });
      case "test_elicitation_sep1330_enums":
        return elicit(extra, { message: "Please select from the enum fields", requestedSchema: ELICITATION_SEP1330_SCHEMA });
      case "test_reconnection":
        // The SDK offers closeSSEStream only when the stream is resumable (event store configured and
        // the request's MCP-Protocol-Version is 2025-11-25 or later); otherwise the result simply
        // comes on the open stream.
        extra.closeSSEStream?.();
        await sleep(100);
        return { content: [text("Reconnection test completed successfully.")] };
      case "json_schema_2020_12_tool":
        return { content: [text(`Received ${JSON.stringify(args)}`)] };
      case "test_update_watched_resource":
        watchedVersion += 1;
        if (subscriptions.has(WATCHED_URI)) await server.sendResourceUpdated({ uri: WATCHED_URI });
        return { content: [text(`${WATCHED_URI} is now at version ${watchedVersion}; subscribed: ${subscriptions.has(WATCHED_URI)}`)] };
      default:
        throw new McpError(ErrorCode.InvalidParams, `Unknown tool ${request.params.name}`);
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: RESOURCES }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({ resourceTemplates: RESOURCE_TEMPLATES }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const { uri } = request.params;
    if (uri === "test://static-text") return { contents: [{ uri, mimeType: "text/plain", text: "This is the content of the static text resource." }] };
    if (uri === "test://static-binary") return { contents: [{ uri, mimeType: "image/png", blob: PNG_BASE64 }] };
    if (uri === WATCHED_URI) return { contents: [{ uri, mimeType: "text/plain", text: `Watched resource content, version ${watchedVersion}` }] };
    const match = TEMPLATE.exec(uri);
    if (match) {
      const id = decodeURIComponent(match[1]);
      return { contents: [{ uri, mimeType: "application/json", text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }] };
    }
    throw new McpError(-32002, `Resource not found: ${uri}`, { uri });
  });
  server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });

  server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: PROMPTS }));
  server.setRequestHandler(GetPromptRequestSchema, async (request) => getPrompt(request.params.name, request.params.arguments));

  server.setRequestHandler(CompleteRequestSchema, async (request) => {
    const { ref, argument } = request.params;
    const key = ref.type === "ref/prompt" ? `ref/prompt:${ref.name}` : `ref/resource:${ref.uri}`;
    const candidates = COMPLETIONS[key];
    if (!candidates) throw new McpError(ErrorCode.InvalidParams, `No completions for ${key}`);
    const values = (candidates[argument.name] ?? []).filter((value) => value.startsWith(argument.value));
    return { completion: { values, total: values.length, hasMore: false } };
  });

  return server;
}

// --- HTTP --------------------------------------------------------------------------------------

const LOCAL_HOSTNAMES = ["localhost", "127.0.0.1", "[::1]"];
const SESSION_IDLE_MS = 10 * 60_000;
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const SSE_RETRY_MS = 500;

const hostnameOf = (value) => {
  try {
    return new URL(value).hostname.toLowerCase();
  } catch {
    return undefined;
  }
};

const jsonRpcError = (res, status, code, message) =>
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));

async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new RangeError("request body too large");
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

/**
 * @param {object} [options]
 * @param {number} [options.port=3320] 0 picks a free port
 * @param {string} [options.host="127.0.0.1"]
 * @param {string[]} [options.allowedHosts] host names accepted besides localhost, 127.0.0.1 and [::1]
 * @param {string} [options.bearer] static bearer token every /mcp request must carry
 */
export async function startConformanceServer({ port = 3320, host = "127.0.0.1", allowedHosts = [], bearer } = {}) {
  const allowed = new Set([...LOCAL_HOSTNAMES, ...allowedHosts.map((name) => name.toLowerCase())]);
  const sessions = new Map(); // session id -> { transport, server, lastSeen }

  // DNS rebinding (MCP transport security): a page on evil.example resolving to 127.0.0.1 reaches
  // this server with its own Host and Origin; only local names are served.
  const rebindingRefusal = (req) => {
    if (!allowed.has(hostnameOf(`http://${req.headers.host ?? ""}`) ?? "")) return `Invalid Host header: ${req.headers.host ?? "(none)"}`;
    const origin = req.headers.origin;
    if (origin !== undefined && !allowed.has(hostnameOf(origin) ?? "")) return `Invalid Origin header: ${origin}`;
    return undefined;
  };

  async function openSession(req, res, body) {
    const server = createSessionServer();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: createEventStore(),
      retryInterval: SSE_RETRY_MS,
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, { transport, server, lastSeen: Date.now() });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  const http = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://fixture");
      if (url.pathname !== "/mcp") return jsonRpcError(res, 404, -32000, "Not found");
      const refusal = rebindingRefusal(req);
      if (refusal) return jsonRpcError(res, 403, -32000, refusal);
      if (bearer && req.headers.authorization !== `Bearer ${bearer}`) {
        res.setHeader("www-authenticate", "Bearer");
        return jsonRpcError(res, 401, -32000, "Unauthorized");
      }

      const body = req.method === "POST" ? await readJson(req) : undefined;
      const sessionId = req.headers["mcp-session-id"];
      if (typeof sessionId === "string") {
        const session = sessions.get(sessionId);
        if (!session) return jsonRpcError(res, 404, -32001, "Session not found");
        session.lastSeen = Date.now();
        return await session.transport.handleRequest(req, res, body);
      }
      const messages = Array.isArray(body) ? body : [body];
      if (req.method === "POST" && messages.some((message) => isInitializeRequest(message))) return await openSession(req, res, body);
      return jsonRpcError(res, 400, -32000, "Bad Request: no valid session id");
    } catch (error) {
      if (error instanceof SyntaxError) return jsonRpcError(res, 400, -32700, "Parse error");
      if (error instanceof RangeError) return jsonRpcError(res, 413, -32600, error.message);
      if (!res.headersSent) jsonRpcError(res, 500, -32603, `Internal error: ${error instanceof Error ? error.message : String(error)}`);
      else res.destroy();
    }
  });

  // Clients rarely DELETE their session; drop the idle ones so a long run does not grow forever.
  const reaper = setInterval(() => {
    const idleSince = Date.now() - SESSION_IDLE_MS;
    for (const { transport, lastSeen } of sessions.values()) if (lastSeen < idleSince) void transport.close();
  }, 60_000);
  reaper.unref();

  await new Promise((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, host, resolve);
  });
  const origin = `http://${host.includes(":") ? `[${host}]` : host}:${http.address().port}`;
  return {
    url: `${origin}/mcp`,
    origin,
    sessionCount: () => sessions.size,
    close: async () => {
      clearInterval(reaper);
      await Promise.allSettled([...sessions.values()].map(({ transport }) => transport.close()));
      http.closeAllConnections();
      await new Promise((resolve) => http.close(() => resolve()));
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { url, close } = await startConformanceServer({
    port: Number(process.env.PORT ?? 3320),
    allowedHosts: (process.env.ALLOWED_HOSTS ?? "").split(",").map((name) => name.trim()).filter(Boolean),
    bearer: process.env.FIXTURE_BEARER || undefined,
  });
  console.log(`conformance server listening on ${url}`);
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => close().finally(() => process.exit(0)));
}
