/**
 * The soak's clients. MCP clients are the official SDK client (one MCP session at a time, reused for
 * a number of calls, then ended with DELETE and a new one opened, as agents come and go); LLM
 * clients call the gateway with fetch in OpenAI's wire format. Every client makes one call at a
 * time, then waits a random think time. Every call carries a marker (its id) in its arguments or
 * prompt, its answer is checked to carry it back, and it is written to the ledger: the audit check
 * at the end matches the console's events against it.
 */
import { performance } from "node:perf_hooks";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { seededRandom } from "../../testing/seeded-random.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What the run saw: every call (`calls`), every MCP session (`sessions`), every HTTP status the
 * portal answered (`statuses`, from the clients' fetch: initialize, DELETE and GET streams too),
 * and transport-level notices the SDK reported outside any call.
 */
export function newLedger() {
  return { calls: [], sessions: [], statuses: new Map(), fiveXx: [], notices: new Map(), networkErrors: 0 };
}

/** fetch that records every status the portal answered (and each 5xx with its time and path). */
function countingFetch(ledger) {
  return async (url, init) => {
    let res;
    try {
      res = await fetch(url, init);
    } catch (error) {
      // An abort is the client's own doing (closing a session aborts its open GET stream).
      if (error?.name !== "AbortError") ledger.networkErrors++;
      throw error;
    }
    ledger.statuses.set(res.status, (ledger.statuses.get(res.status) ?? 0) + 1);
    if (res.status >= 500) ledger.fiveXx.push({ t: Date.now(), method: init?.method ?? "GET", path: new URL(url).pathname, status: res.status });
    return res;
  };
}

const note = (ledger, message) => ledger.notices.set(message, (ledger.notices.get(message) ?? 0) + 1);
const short = (error) => String(error?.message ?? error).replace(/\s+/g, " ").slice(0, 200);

/**
 * Runs one call and writes it to the ledger: wall-clock start/end (the audit check compares them
 * with the event's time), monotonic duration, and whether it succeeded. `fn` throws on any
 * non-success (an error status, a JSON-RPC error, `isError`, an answer without the marker).
 */
async function timed(ledger, record, fn) {
  record.start = Date.now();
  const t0 = performance.now();
  try {
    await fn();
    record.ok = true;
  } catch (error) {
    record.ok = false;
    record.error = short(error);
    if (typeof error?.code === "number" && error.code >= 100 && error.code < 600) record.status = error.code;
  }
  record.ms = performance.now() - t0;
  record.end = Date.now();
  ledger.calls.push(record);
  return record;
}

/**
 * One MCP client: sessions of `sessionCalls` calls each (tools/list first, then a mix of
 * tools/call of two tools and the odd tools/list) until `until()` says stop.
 */
export async function mcpClient({ ledger, portal, token, name, slug, sessionCalls, thinkMs, seed, until }) {
  const random = seededRandom(seed);
  let n = 0;
  while (!until()) {
    const client = new Client({ name, version: "1.0.0" });
    client.onerror = (error) => note(ledger, `${name}: ${short(error)}`);
    const transport = new StreamableHTTPClientTransport(new URL("/mcp", portal), { requestInit: { headers: { authorization: `Bearer ${token.secret}` } }, fetch: countingFetch(ledger) });
    const session = { client: name, tokenId: token.id, sessionId: null, opened: Date.now(), openMs: null, openError: null, closeError: null, lost: false, calls: 0 };
    ledger.sessions.push(session);
    const t0 = performance.now();
    try {
      await client.connect(transport);
      session.sessionId = transport.sessionId ?? null;
      session.openMs = performance.now() - t0;
    } catch (error) {
      session.openError = short(error);
      await client.close().catch(() => undefined);
      await sleep(250);
      continue;
    }
    for (let i = 0; i < sessionCalls && !until(); i++) {
      const id = `${name}-${++n}`;
      const r = random();
      const record = { kind: "mcp", client: name, sessionId: session.sessionId, tokenId: token.id, id };
      if (i === 0 || r < 0.1) {
        record.method = "tools/list";
        await timed(ledger, record, async () => {
          const { tools } = await client.listTools();
          if (!tools.some((t) => t.name === `${slug}_get_weather`)) throw new Error(`tools/list without ${slug}_get_weather (${tools.map((t) => t.name).join(", ")})`);
        });
      } else {
        const tool = r < 0.6 ? "get_weather" : "list_forecasts";
        record.method = "tools/call";
        record.tool = tool;
        const args = tool === "get_weather" ? { city: `City ${id}` } : { city: `City ${id}`, days: 1 + Math.floor(random() * 5) };
        await timed(ledger, record, async () => {
          const result = await client.callTool({ name: `${slug}_${tool}`, arguments: args });
          const text = JSON.stringify(result.content ?? "");
          if (result.isError) throw new Error(`isError: ${text.slice(0, 160)}`);
          if (!text.includes(id)) throw new Error(`answer without the call's marker: ${text.slice(0, 160)}`);
        });
      }
      session.calls++;
      // 404: the portal no longer knows this session (its Durable Object is gone, e.g. after the
      // Worker reloaded). The MCP spec asks the client to start a new session, and so do we.
      if (record.status === 404) {
        session.lost = true;
        break;
      }
      await sleep(random() * 2 * thinkMs);
    }
    if (!session.lost) {
      try {
        await transport.terminateSession();
      } catch (error) {
        session.closeError = short(error);
      }
    }
    await client.close().catch(() => undefined);
  }
}

/** The LLM operations, in the order of `--llm-mix` shares: chat answered as JSON, chat streamed (SSE with usage), embeddings. */
export const LLM_OPS = ["chat", "chat-stream", "embeddings"];

/** One LLM client: calls to the gateway (`/llm/<slug>/v1/...`), `mix` the share of each of LLM_OPS, until `until()` says stop. */
export async function llmClient({ ledger, portal, token, name, slug, thinkMs, seed, until, mix }) {
  const total = mix.reduce((a, b) => a + b, 0);
  const random = seededRandom(seed);
  const post = countingFetch(ledger);
  let n = 0;
  while (!until()) {
    const id = `${name}-${++n}`;
    const r = random();
    let acc = 0;
    const op = LLM_OPS.find((_, i) => r * total < (acc += mix[i])) ?? LLM_OPS.at(-1);
    const record = { kind: "llm", client: name, tokenId: token.id, id, method: op };
    const prompt = `Summarise the soak call ${id} in one short sentence please`;
    const body =
      op === "embeddings"
        ? { model: "text-embedding-3-small", input: prompt }
        : { model: "gpt-4o-mini", max_tokens: 64, messages: [{ role: "system", content: "You are terse." }, { role: "user", content: prompt }], ...(op === "chat-stream" ? { stream: true, stream_options: { include_usage: true } } : {}) };
    const url = `${portal}/llm/${slug}/v1/${op === "embeddings" ? "embeddings" : "chat/completions"}`;
    await timed(ledger, record, async () => {
      const res = await post(url, { method: "POST", headers: { authorization: `Bearer ${token.secret}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      const text = await res.text();
      record.status = res.status;
      if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}: ${text.slice(0, 160)}`), { code: res.status });
      if (op === "embeddings") {
        if (!Array.isArray(JSON.parse(text).data?.[0]?.embedding)) throw new Error(`no embedding in ${text.slice(0, 160)}`);
      } else if (op === "chat") {
        if (!String(JSON.parse(text).choices?.[0]?.message?.content).includes(id)) throw new Error(`answer without the call's marker: ${text.slice(0, 160)}`);
      } else {
        const lines = text.split("\n").filter((l) => l.startsWith("data: "));
        if (lines.at(-1) !== "data: [DONE]") throw new Error(`stream did not end with [DONE]: …${text.slice(-160)}`);
        const reply = lines
          .slice(0, -1)
          .map((l) => JSON.parse(l.slice(6)).choices?.[0]?.delta?.content ?? "")
          .join("");
        if (!reply.includes(id)) throw new Error(`streamed answer without the call's marker: ${reply.slice(0, 160)}`);
      }
    });
    await sleep(random() * 2 * thinkMs);
  }
}
