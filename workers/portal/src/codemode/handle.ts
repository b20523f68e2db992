/**
 * Code Mode on the per-call path (both dialects: 2026-07-28 and sealed sessions). A client on
 * `?codemode=search_and_execute` (or `code`, or by the portal's default) lists `search` and
 * `execute` (or `code`) instead of the catalog; `search` answers from the caller's catalog (the
 * tools `tools/list` would show: policy, pins and the block list already applied), `execute` runs
 * the code in the sandbox (./sandbox.ts), and each `codemode.<tool>(input)` takes the same path as a
 * client's own call (stateless/handle.ts `innerToolCall`): decided, limited, pinned, forwarded and
 * audited with `via: "codemode"` and the `execute` call's event as its parent. docs/codemode.md.
 */
import type { CodemodeShape } from "@core/bundle/schema";
import { codemodeNames, type CatalogTool } from "@core/codemode/search";
import { codemodeToolList, errorToolResult, jsonToolResult, readCodemodeCall, searchResult } from "@core/codemode/tools";
import type { McpToolDefinition } from "@core/tools/tool-types";
import { countTokensBounded } from "@core/tools/token-cost";
import type { StatelessRequest } from "@core/mcp/stateless";
import type { Env } from "../env";
import { Denied, PortalErrorCode } from "../session/errors";
import { msSetting } from "../settings";
import { Answer, catalogTokens, withFields, type Outcome, type VisibleTool } from "../stateless/context";
import { runInSandbox, type SandboxLimits } from "./sandbox";

export type Emit = (outcome: Outcome, result?: unknown, id?: string) => void;

/** What the path gives Code Mode: the caller's tools now, and a way to call one as the caller. */
export interface CodemodePath {
  /** `admitted`: the lookup counts against the caller's limits as a list does (search, tools/list); execute's does not (its calls count). */
  visibleTools(admitted?: boolean): Promise<VisibleTool[]>;
  /** `paused(p)`: waits for `p` (a person's answer) with the run's wall clock stopped. */
  callTool(name: string, args: Record<string, unknown>, emit: Emit, paused: <T>(p: Promise<T>) => Promise<T>): Promise<Record<string, unknown>>;
}

const toCatalog = (visible: VisibleTool[]): CatalogTool[] => visible.map((t) => ({ name: t.listed.name, serverSlug: t.server.slug, definition: t.definition as unknown as McpToolDefinition }));

/** tools/list in Code Mode: the shape's tools, and in the event what the plain catalog would have cost against what was sent. */
export async function codemodeList(shape: CodemodeShape, path: CodemodePath): Promise<Answer> {
  const visible = await path.visibleTools();
  const tools = codemodeToolList(shape, toCatalog(visible));
  // The plain lists this one replaced, by server (at /mcp/{slug} too): the usage views count the difference as saved.
  return new Answer({ tools }, { serverTokens: catalogTokens(visible), codemodeTokens: countTokensBounded(JSON.stringify(tools)), via: "codemode" });
}

export function sandboxLimits(env: Env): SandboxLimits {
  return {
    interrupts: Math.max(100, Math.floor(Number(env.PORTCULLIS_CODEMODE_INTERRUPTS) || 10_000)),
    memoryBytes: Math.max(1, Math.floor(Number(env.PORTCULLIS_CODEMODE_MEMORY_MB) || 16)) * 1_048_576,
    wallMs: msSetting(env.PORTCULLIS_CODEMODE_TIMEOUT_MS, 30_000),
    maxCalls: Math.max(1, Math.floor(Number(env.PORTCULLIS_CODEMODE_MAX_CALLS) || 500)),
  };
}

/**
 * tools/call in Code Mode. Returns the result (a tool error is a result with `isError`), or throws
 * the refusal (Denied, NotAvailable) of a tool that does not exist in this shape, as the plain path refuses an unknown tool.
 */
export async function codemodeCall(shape: CodemodeShape, rpc: StatelessRequest, env: Env, path: CodemodePath, emit: Emit): Promise<Record<string, unknown>> {
  const name = rpc.name ?? "";
  const started = Date.now();
  const id = crypto.randomUUID();
  const fields: Outcome = { server: null, tool: name, via: "codemode" };
  const read = readCodemodeCall(shape, name, (rpc.params as { arguments?: unknown }).arguments);
  if (!read.ok) {
    // An unknown tool is answered as the plain path answers one (dispatch audits the error with these fields).
    if (read.unknown) throw withFields(new Denied(PortalErrorCode.NotAvailable, read.message, "UNKNOWN_TOOL: not a Code Mode tool", null), fields);
    const result = errorToolResult(read.message);
    emit({ ...fields, success: false, error: read.message }, result, id);
    return result;
  }
  const call = read.call;
  if (call.kind === "search") {
    const result = searchResult(toCatalog(await path.visibleTools()), call.query, { limit: call.limit, cursor: call.cursor });
    emit({ ...fields, success: result.isError !== true, durationMs: Date.now() - started, error: result.isError ? "invalid cursor" : null }, result, id);
    return result;
  }

  // execute / code: the code runs in the sandbox; its tool calls come back here by identifier.
  // The names code may call; not a list the caller sees, so it does not count against the limits (each call does).
  const names = codemodeNames(toCatalog(await path.visibleTools(false)));
  const outcome = await runInSandbox(
    call.code,
    {
      call: async (identifier, inputJson, run) => {
        if (identifier.length > 200) throw new Error("codemode: no tool has a name that long (search lists the ones you can use)");
        const input = JSON.parse(inputJson) as unknown;
        if (typeof input !== "object" || input === null || Array.isArray(input)) throw new Error(`codemode.${identifier}: the input must be an object`);
        // A name outside the caller's catalog (not allowed, quarantined, blocked, unknown) still goes
        // the per-call path under that name: refused there, and the refusal audited like a client's.
        const name = names.get(identifier)?.name ?? identifier;
        const result = await path.callTool(name, input as Record<string, unknown>, (outcome, res) => emit({ ...outcome, via: "codemode", parentId: id, callArguments: input }, res), (p) => run.paused(p));
        return JSON.stringify(valueForCode(identifier, result));
      },
    },
    sandboxLimits(env),
  );
  const durationMs = Date.now() - started;
  const result = outcome.ok
    ? jsonToolResult({ result: outcome.result ?? null, logs: outcome.logs }, JSON.stringify({ result: outcome.result ?? null, ...(outcome.logs.length ? { logs: outcome.logs } : {}) }, null, 1))
    : jsonToolResult({ error: outcome.error, line: outcome.line, logs: outcome.logs }, `${outcome.error}${outcome.line !== null ? ` (line ${outcome.line})` : ""}${outcome.logs.length ? `\n\nconsole:\n${outcome.logs.join("\n")}` : ""}`, true);
  emit({ ...fields, success: outcome.ok, error: outcome.ok ? null : `${outcome.error}${outcome.line !== null ? ` (line ${outcome.line})` : ""}`, durationMs }, result, id);
  return result;
}

/**
 * What `await codemode.x(input)` gives the code: the result's `structuredContent` when it has one,
 * else the text of a single text item, else the content list. A tool error throws, with its text.
 */
function valueForCode(identifier: string, result: Record<string, unknown>): unknown {
  const content = Array.isArray(result.content) ? (result.content as { type?: unknown; text?: unknown }[]) : [];
  const text = content.filter((c) => c.type === "text" && typeof c.text === "string").map((c) => c.text as string);
  if (result.isError === true) throw new Error(`codemode.${identifier} failed: ${text.join("\n").slice(0, 2_000) || "the tool reported an error"}`);
  if (result.structuredContent !== undefined) return result.structuredContent;
  if (content.length === 1 && text.length === 1) return text[0];
  return content;
}
