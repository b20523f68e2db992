#!/usr/bin/env node
/**
 * The upstream MCP server of the portal benchmark, in its own process so that it never shares an
 * event loop with the load generator. Both paths (direct and through the portal) call this one
 * process, so they pay exactly the same upstream cost.
 *
 *   node bench/portal/upstream.mjs stateful    (default) SDK server with sessions, JSON responses
 *   node bench/portal/upstream.mjs stateless   the repo's testing/servers/mutable-mcp-server.mjs
 *
 * Prints one line of JSON, `{"url": "http://127.0.0.1:<port>/mcp"}`, once it listens. Stops on
 * SIGTERM/SIGINT or when its stdin closes (so it never outlives the benchmark).
 *
 * The stateful mode serves the fixture's very tool definitions (BASE_TOOLS) and answers
 * `get_weather` with the same text; it only keeps one SDK Server + transport per MCP session
 * instead of building a fresh one for every request, which is how a long-running upstream behaves
 * and how the portal talks to it (one upstream session per client session, reused across calls).
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema, isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { BASE_TOOLS, startMutableServer } from "../../testing/servers/mutable-mcp-server.mjs";

const mode = process.argv[2] ?? "stateful";

function weatherServer() {
  const server = new Server({ name: "weather-fixture", version: "1.0.0" }, { capabilities: { tools: { listChanged: true } } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: BASE_TOOLS }));
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    const tool = BASE_TOOLS.find((t) => t.name === req.params.name);
    if (!tool) return { isError: true, content: [{ type: "text", text: `unknown tool ${req.params.name}` }] };
    return { content: [{ type: "text", text: `${tool.name} ${JSON.stringify(req.params.arguments ?? {})}` }] };
  });
  return server;
}

async function startStateful() {
  /** Mcp-Session-Id → transport */
  const sessions = new Map();
  const readBody = async (req) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const text = Buffer.concat(chunks).toString("utf8");
    return text ? JSON.parse(text) : undefined;
  };
  const http = createServer(async (req, res) => {
    try {
      if (new URL(req.url ?? "/", "http://upstream").pathname !== "/mcp") return void res.writeHead(404).end("not found");
      const id = req.headers["mcp-session-id"];
      const body = req.method === "POST" ? await readBody(req) : undefined;
      let transport = typeof id === "string" ? sessions.get(id) : undefined;
      if (!transport) {
        if (id || req.method !== "POST" || !isInitializeRequest(body)) {
          return void res.writeHead(id ? 404 : 400, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32000, message: "no such session" } }));
        }
        transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: randomUUID,
          enableJsonResponse: true,
          onsessioninitialized: (sid) => sessions.set(sid, transport),
        });
        transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
        await weatherServer().connect(transport);
      }
      await transport.handleRequest(req, res, body);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    }
  });
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${http.address().port}/mcp`, close: () => new Promise((r) => http.close(r)) };
}

const upstream = mode === "stateless" ? await startMutableServer({ port: 0 }) : mode === "stateful" ? await startStateful() : null;
if (!upstream) {
  console.error(`unknown upstream mode ${mode} (use stateful or stateless)`);
  process.exit(2);
}
process.stdout.write(`${JSON.stringify({ url: upstream.url, mode })}\n`);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
