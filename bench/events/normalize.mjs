#!/usr/bin/env node
// What the portal spends per audit event before it is queued: building it (lib/core/events) and
// normalizing it (workers/portal/src/events/normalize.ts: clip, sanitize, validate), before and
// after, in the same run, in Node (V8, as workerd). `--base REV` (default main): the "before".
// Prints a markdown table of ops/s.
import { randomUUID } from "node:crypto";
import { loadAverage, loadModules, opsPerSecond } from "../lib/common.mjs";

const i = process.argv.indexOf("--base");
const base = i > 0 ? process.argv[i + 1] : "main";
const files = ["lib/core/events/mcp-event.ts", "workers/portal/src/events/normalize.ts"];
const [[beforeMcp, beforeNormalize], [afterMcp, afterNormalize, afterLlm]] = await Promise.all([loadModules(base, files), loadModules(null, [...files, "lib/core/events/llm-event.ts"])]);

const uuid = () => randomUUID();
const caller = (name) => ({ userId: uuid(), email: "ada@example.test", teamIds: [uuid()], tokenId: uuid(), authMethod: "token", clientName: name, clientVersion: "1.4.2", clientIp: "203.0.113.9", clientCountry: "PT", sessionId: null, endpoint: "/mcp" });
const outcome = (tool) => ({ method: "tools/call", server: { id: uuid(), slug: "everything", url: "https://upstream.example/mcp" }, tool, decision: "allowed", reason: "allowed by rule everyone → everything", ruleId: uuid(), success: true, durationMs: 3, bytesIn: 180, bytesOut: 95, resultTokens: 14, bundleVersion: 42 });
const typical = [caller("claude-code"), outcome("echo")];
const hostile = [caller("evil\u0000client\ud800"), outcome("echo\udc00")];
const llmCall = { started: Date.now(), user: { id: uuid(), email: "ada@example.test", teamIds: [uuid()] }, tokenId: uuid(), clientIp: "203.0.113.9", provider: { slug: "openai", logBodies: false }, kind: "openai", op: "chat.completions", model: "gpt-4.1-mini", stream: false, requestText: null, ruleId: uuid(), reason: "allowed by rule", overBudget: false, bundleVersion: 42 };
const llmOutcome = { status: 200, decision: "allowed", cache: "miss", usage: { model: "gpt-4.1-mini-2025-04-14", inputTokens: 120, outputTokens: 30, cachedInputTokens: 0, cacheWriteTokens: 0 }, cost: 66, responseText: null };
const at = new Date();

const rows = [
  ["MCP event, a typical call", () => beforeNormalize.normalizeEvent(beforeMcp.mcpEvent(...typical, uuid(), at)), () => afterNormalize.normalizeEvent(afterMcp.mcpEvent(...typical, uuid(), at))],
  ["MCP event, NUL and lone surrogates in the caller's text", () => beforeNormalize.normalizeEvent(beforeMcp.mcpEvent(...hostile, uuid(), at)), () => afterNormalize.normalizeEvent(afterMcp.mcpEvent(...hostile, uuid(), at))],
  // Before, the route built the same object inline (here: a plain copy of the builder's) and normalize validated it.
  ["LLM event, a typical call (logBodies off)", () => beforeNormalize.normalizeEvent({ ...afterLlm.llmEvent(llmCall, llmOutcome, uuid(), Date.now()) }), () => afterNormalize.normalizeEvent(afterLlm.llmEvent(llmCall, llmOutcome, uuid(), Date.now()))],
  // An event that arrives as JSON (not built here) is still validated in full: no change expected.
  ["MCP event as JSON (not built: full validation)", () => beforeNormalize.normalizeEvent(JSON.parse(JSON.stringify(beforeMcp.mcpEvent(...typical, uuid(), at)))), () => afterNormalize.normalizeEvent(JSON.parse(JSON.stringify(afterMcp.mcpEvent(...typical, uuid(), at))))],
];

console.log(`Node ${process.version}, load average ${loadAverage()}; before = ${base}, after = working tree; build + normalize per event (an id made each time)\n`);
console.log("| event | before ops/s | after ops/s | before µs/event | after µs/event | after ÷ before |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const [name, before, after] of rows) {
  const b = await opsPerSecond(before, { iterations: 30_000 });
  const a = await opsPerSecond(after, { iterations: 30_000 });
  console.log(`| ${name} | ${Math.round(b).toLocaleString("en")} | ${Math.round(a).toLocaleString("en")} | ${(1e6 / b).toFixed(2)} | ${(1e6 / a).toFixed(2)} | ${(a / b).toFixed(2)}× |`);
}
