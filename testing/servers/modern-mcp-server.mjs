#!/usr/bin/env node
/**
 * An MCP server that speaks only protocol revision 2026-07-28 (stateless: no initialize, no
 * session; `_meta` and the `MCP-Protocol-Version` / `Mcp-Method` / `Mcp-Name` headers on every
 * request), written against the specification with plain `node:http` since no SDK on this machine
 * speaks that revision yet. A session client's `initialize` gets the 400 UnsupportedProtocolVersion
 * a modern-only server answers. For tests of the portal's stateless upstream path.
 *
 *   node testing/servers/modern-mcp-server.mjs     (FIXTURE_PORT, default 3310; MCP at /mcp)
 *   GET /__fixture/requests → every request /mcp received: { method, headers: {mcp-*…}, meta }
 *
 * Tools: `shout` (echoes `text` in capitals) and `whoami` (returns the `_meta` client info it was
 * sent). Optional FIXTURE_BEARER: every /mcp request must carry `Authorization: Bearer <it>`.
 */
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";

export const VERSION = "2026-07-28";

export const MODERN_TOOLS = [
  {
    name: "shout",
    description: "Repeat the text in capital letters.",
    inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
    annotations: { readOnlyHint: true },
  },
  {
    name: "whoami",
    description: "Say which client called, as its request's _meta named it.",
    inputSchema: { type: "object", properties: {} },
  },
];

const json = (res, status, body) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
const rpcError = (res, status, id, code, message, data) => json(res, status, { jsonrpc: "2.0", id, error: { code, message, ...(data ? { data } : {}) } });

export async function startModernServer({ port = 3310, host = "127.0.0.1", bearer } = {}) {
  const seen = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/__fixture/requests" && req.method === "GET") return json(res, 200, { requests: seen });
    if (url.pathname !== "/mcp") return json(res, 404, { error: "not found" });
    if (req.method !== "POST") return res.writeHead(405, { allow: "POST" }).end();
    if (bearer && req.headers.authorization !== `Bearer ${bearer}`) return json(res, 401, { error: "unauthorized" });
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      let msg;
      try {
        msg = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return rpcError(res, 400, null, -32700, "Parse error");
      }
      const meta = msg?.params?._meta ?? {};
      seen.push({
        method: msg?.method ?? null,
        headers: { "mcp-protocol-version": req.headers["mcp-protocol-version"] ?? null, "mcp-method": req.headers["mcp-method"] ?? null, "mcp-name": req.headers["mcp-name"] ?? null, "mcp-session-id": req.headers["mcp-session-id"] ?? null, authorization: req.headers.authorization ?? null, traceparent: req.headers.traceparent ?? null },
        meta,
      });
      const version = meta["io.modelcontextprotocol/protocolVersion"];
      if (msg?.method === "initialize" || version !== VERSION || req.headers["mcp-protocol-version"] !== VERSION) {
        return rpcError(res, 400, msg?.id ?? null, -32022, `Unsupported protocol version: this server speaks ${VERSION} only`, { supported: [VERSION], requested: version ?? msg?.params?.protocolVersion ?? null });
      }
      if (req.headers["mcp-method"] !== msg.method) return rpcError(res, 400, msg.id ?? null, -32020, "Header mismatch: Mcp-Method");
      if (msg.id === undefined) return res.writeHead(202).end();
      const result = (r) => json(res, 200, { jsonrpc: "2.0", id: msg.id, result: { resultType: "complete", ...r, _meta: { "io.modelcontextprotocol/serverInfo": { name: "modern-fixture", version: "1.0.0" } } } });
      switch (msg.method) {
        case "server/discover":
          return result({ supportedVersions: [VERSION], capabilities: { tools: {} }, ttlMs: 60_000, cacheScope: "public" });
        case "tools/list":
          return result({ tools: MODERN_TOOLS, ttlMs: 60_000, cacheScope: "public" });
        case "tools/call": {
          if (req.headers["mcp-name"] !== msg.params?.name) return rpcError(res, 400, msg.id, -32020, "Header mismatch: Mcp-Name");
          if (msg.params.name === "shout") return result({ content: [{ type: "text", text: String(msg.params.arguments?.text ?? "").toUpperCase() }] });
          if (msg.params.name === "whoami") return result({ content: [{ type: "text", text: JSON.stringify(meta["io.modelcontextprotocol/clientInfo"] ?? null) }] });
          return rpcError(res, 200, msg.id, -32602, `Unknown tool: ${msg.params.name}`);
        }
        default:
          return rpcError(res, 404, msg.id, -32601, "Method not found");
      }
    });
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  const { port: actual } = server.address();
  return {
    url: `http://${host}:${actual}/mcp`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const s = await startModernServer({ port: Number(process.env.FIXTURE_PORT ?? 3310), bearer: process.env.FIXTURE_BEARER });
  console.log(`modern (2026-07-28) MCP fixture at ${s.url}`);
}
