/**
 * __SERVER_NAME__: an MCP server on Cloudflare Workers that accepts calls through its Portcullis
 * portal only. Every request must carry the portal's proof (`Portcullis-Proof`, verified against the
 * portal's published keys, bound to this server's URL); anything else is answered 401. The proof
 * names the person calling, and the tools get that identity, verified (src/tools.ts `callerOf`).
 *
 * Stateless Streamable HTTP on the official MCP SDK: a fresh server per request, no session to keep,
 * so any number of isolates serve it. It speaks MCP 2026-07-28 (src/stateless.ts) and the session
 * revisions (2025-03-26 … 2025-11-25, answered without a session id).
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { createProofVerifier, proofOf, proofRefusal } from "./portcullis-proof";
import { fromStateless, isStateless } from "./stateless";
import { registerTools } from "./tools";

const INFO = { name: "__SERVER_NAME__", version: "0.1.0" };
/** What src/tools.ts offers, for 2026-07-28's `server/discover`. */
const CAPABILITIES = { tools: {} };

export interface Env {
  /** The portal whose proofs are accepted, e.g. `https://portal.acme.com`. */
  PORTCULLIS_PORTAL_URL: string;
  /** This server's MCP URL exactly as registered at the portal (the proofs' audience). */
  PORTCULLIS_SERVER_URL: string;
}

/** One verifier per isolate (it keeps the portal's keys), made again only if the settings change. */
let verifier: { settings: string; verify: ReturnType<typeof createProofVerifier> } | undefined;
function verifierFor(env: Env): ReturnType<typeof createProofVerifier> {
  const settings = `${env.PORTCULLIS_PORTAL_URL} ${env.PORTCULLIS_SERVER_URL}`;
  if (verifier?.settings !== settings) verifier = { settings, verify: createProofVerifier({ portal: env.PORTCULLIS_PORTAL_URL, audience: env.PORTCULLIS_SERVER_URL }) };
  return verifier.verify;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname !== "/mcp") return Response.json({ name: "__SERVER_NAME__", mcp: "/mcp" }, { status: pathname === "/" ? 200 : 404 });
    const proof = await verifierFor(env)(request);
    if (!proof.ok) return proofRefusal(proof);
    // Kept for LLM calls as the caller (src/portcullis-llm.ts): the portal's gateway takes it for its short life.
    const token = proofOf(request)!;
    // Stateless: no stream to hold open for server-initiated messages, no session to end.
    if (request.method !== "POST") return new Response(null, { status: 405, headers: { allow: "POST" } });
    if (isStateless(request)) {
      const read = await fromStateless(request, { info: INFO, capabilities: CAPABILITIES });
      if ("answer" in read) return read.answer;
      request = read.request;
    }
    const server = new McpServer(INFO);
    registerTools(server);
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    // The verified caller reaches every handler as `extra.authInfo` (src/tools.ts callerOf), with the proof itself as its token (src/portcullis-llm.ts).
    return transport.handleRequest(request, { authInfo: { token, clientId: proof.claims.sub, scopes: [], extra: { caller: proof.claims } } });
  },
};
