/**
 * An upstream MCP server that accepts calls through its Portcullis portal only: every request to
 * /mcp must carry a valid `Portcullis-Proof` (lib/core/proof/verify.ts, keys from the portal's
 * JWKS), else 401. Stateless Streamable HTTP on the official SDK, one tool, `whoami`, answering
 * with the verified claims: what a hosted tool sees of its caller.
 *   GET /__fixture/proofs → { accepted: ProofClaims[], refused: { reason, method }[] }
 */
import { createServer, type IncomingMessage } from "node:http";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { createProofVerifier, proofOf, type ProofClaims, type ProofFailure } from "@core/proof/verify";
import { portalLlm } from "@/templates/mcp-server/src/portcullis-llm";

export const WHOAMI_TOOL = {
  name: "whoami",
  description: "Who is calling, as the portal's proof says.",
  inputSchema: { type: "object" as const, properties: {} },
};

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
  return headers;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

export const ASK_TOOL = {
  name: "ask",
  description: "Asks an LLM through the portal's gateway, as the person calling.",
  inputSchema: { type: "object" as const, properties: { question: { type: "string" } }, required: ["question"] },
};

export async function startProofServer(options: { portal: string; llm?: { provider: string; model: string } }): Promise<{
  url: string;
  accepted: ProofClaims[];
  refused: { reason: ProofFailure; method: string | null }[];
  close(): Promise<void>;
}> {
  const accepted: ProofClaims[] = [];
  const refused: { reason: ProofFailure; method: string | null }[] = [];
  let url = "";
  let verify: ReturnType<typeof createProofVerifier> | undefined;
  const http = createServer(async (req, res) => {
    if (req.url === "/__fixture/proofs") return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ accepted, refused }));
    if (req.url !== "/mcp") return void res.writeHead(404).end();
    const body = await readJson(req);
    verify ??= createProofVerifier({ portal: options.portal, audience: url });
    const result = await verify(headersOf(req));
    if (!result.ok) {
      refused.push({ reason: result.reason, method: (body as { method?: string } | undefined)?.method ?? null });
      res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32001, message: `Unauthorized: ${result.message}` } }));
      return;
    }
    accepted.push(result.claims);
    // Stateless: no standalone stream to hold open, no session to end.
    if (req.method !== "POST") return void res.writeHead(405, { allow: "POST" }).end();
    const server = new Server({ name: "proof-fixture", version: "1.0.0" }, { capabilities: { tools: {} } });
    const llm = options.llm;
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: llm ? [WHOAMI_TOOL, ASK_TOOL] : [WHOAMI_TOOL] }));
    server.setRequestHandler(CallToolRequestSchema, async (request) => {
      if (request.params.name !== ASK_TOOL.name || !llm) return { content: [{ type: "text", text: JSON.stringify(result.claims) }] };
      // As src/index.ts of a scaffolded server passes it: the proof this request came with.
      const extra = { authInfo: { token: proofOf(headersOf(req)) ?? "" } };
      try {
        const text = await portalLlm(options.portal, extra).chat(llm.provider, { model: llm.model, messages: [{ role: "user", content: String(request.params.arguments?.question ?? "") }] });
        return { content: [{ type: "text", text }] };
      } catch (error) {
        return { isError: true, content: [{ type: "text", text: (error as Error).message }] };
      }
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => void transport.close().then(() => server.close()));
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(http.address() as { port: number }).port}/mcp`;
  return {
    url,
    accepted,
    refused,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}
