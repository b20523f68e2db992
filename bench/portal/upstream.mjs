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
 * The stateful mode runs the fixture's own SDK server (`weatherServer` over BASE_TOOLS): the same
 * tools, the same answer to `get_weather`. It only keeps one Server + transport per MCP session
 * instead of building a fresh one for every request, which is how a long-running upstream behaves
 * and how the portal talks to it (one upstream session per client session, reused across calls).
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { BASE_TOOLS, readBody, startMutableServer, weatherServer } from "../../testing/servers/mutable-mcp-server.mjs";
import { announceReady, listenLocal } from "../lib/common.mjs";

const mode = process.argv[2] ?? "stateful";

async function startStateful() {
  /** Mcp-Session-Id → transport */
  const sessions = new Map();
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
        await weatherServer(() => BASE_TOOLS).connect(transport);
      }
      await transport.handleRequest(req, res, body);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    }
  });
  return { url: `${await listenLocal(http)}/mcp`, close: () => new Promise((r) => http.close(r)) };
}

const upstream = mode === "stateless" ? await startMutableServer({ port: 0 }) : mode === "stateful" ? await startStateful() : null;
if (!upstream) {
  console.error(`unknown upstream mode ${mode} (use stateful or stateless)`);
  process.exit(2);
}
announceReady({ url: upstream.url, mode });
