/**
 * What the portal answers to JSON-RPC it cannot take, in words: -32600 (Invalid Request) for a
 * message that is not a request, notification or response, -32602 (Invalid params) for params
 * that do not fit the method. Never the schema library's JSON dump of its issues, and never longer
 * than a few field names: a hostile key or value cannot make the answer large.
 */
import { ErrorCode, JSONRPCMessageSchema, JSONRPCNotificationSchema, JSONRPCRequestSchema, JSONRPCResponseSchema, RELATED_TASK_META_KEY } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { describeZodError } from "@core/zod/helpers";
import { isJsonObject } from "@core/json/is-object";
import { RpcError } from "./errors";

const MAX_MESSAGE = 300;
const clipped = (text: string) => (text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text);

/** The -32602 for params of `method` that failed their schema (`error`: the schema library's). */
export function invalidParams(method: string, error: unknown): RpcError {
  const detail = error instanceof z.core.$ZodError ? describeZodError(error).message : "they do not fit the method";
  return new RpcError(ErrorCode.InvalidParams, clipped(`Invalid params for ${clipped(method)}: ${detail}`));
}

export interface MalformedMessage {
  code: number;
  message: string;
}

const usableId = (v: unknown): v is string | number => typeof v === "string" || (typeof v === "number" && Number.isSafeInteger(v));

const REQUEST_KEYS = new Set(["jsonrpc", "id", "method", "params"]);

/**
 * A request the SDK's schema would take as it is (the common case), recognised without running it:
 * only the four keys, "2.0", a usable id, a string method, params an object whose `_meta`, if any,
 * is an object with at most a string or integer progress token and no related task. Anything else
 * meets the schema.
 */
function plainRequest(m: unknown): boolean {
  if (!isJsonObject(m) || m.jsonrpc !== "2.0" || typeof m.method !== "string" || !usableId(m.id)) return false;
  for (const key in m) if (!REQUEST_KEYS.has(key)) return false;
  if (m.params === undefined) return true;
  if (!isJsonObject(m.params)) return false;
  return plainRequestMeta(m.params._meta);
}

/** A request's `_meta` the SDK's schema takes as it is: absent, or an object with at most a string or integer progress token and no related task. */
export function plainRequestMeta(meta: unknown): boolean {
  if (meta === undefined) return true;
  if (!isJsonObject(meta) || meta[RELATED_TASK_META_KEY] !== undefined) return false;
  const token = meta.progressToken;
  return token === undefined || typeof token === "string" || (typeof token === "number" && Number.isSafeInteger(token));
}

function problemOf(m: unknown): MalformedMessage | null {
  if (plainRequest(m) || JSONRPCMessageSchema.safeParse(m).success) return null;
  if (!isJsonObject(m)) return { code: ErrorCode.InvalidRequest, message: "Invalid Request: each message must be a JSON object" };
  const invalid = (message: string) => ({ code: ErrorCode.InvalidRequest, message: clipped(`Invalid Request: ${message}`) });
  if (m.jsonrpc !== "2.0") return invalid('"jsonrpc" must be "2.0"');
  if ("id" in m && !usableId(m.id)) return invalid('"id" must be a string or an integer (within ±2^53)');
  if (!("method" in m)) {
    if (!("result" in m) && !("error" in m)) return invalid('a message needs a "method" (a request or notification), or a "result" or "error" (a response)');
    const parsed = JSONRPCResponseSchema.safeParse(m);
    return invalid(parsed.success ? "not a valid JSON-RPC response" : describeZodError(parsed.error).message);
  }
  if (typeof m.method !== "string") return invalid('"method" must be a string');
  const parsed = ("id" in m ? JSONRPCRequestSchema : JSONRPCNotificationSchema).safeParse(m);
  if (parsed.success) return invalid("not a valid JSON-RPC message");
  const inParams = parsed.error.issues.filter((issue) => issue.path[0] === "params");
  if (inParams.length === 0) return invalid(describeZodError(parsed.error).message);
  const { code, message } = invalidParams(m.method, new z.core.$ZodError(inParams));
  return { code, message };
}

/**
 * Why a POSTed body is not JSON-RPC the portal takes (the first message of a batch that is not),
 * or null: answered with HTTP 400 and this error without an id (Streamable HTTP: a server that
 * cannot accept the input answers an HTTP error). The SDK would call each of these "Parse error"
 * (-32700), which they are not: the body parsed as JSON.
 */
export function malformedMessage(body: unknown): MalformedMessage | null {
  if (Array.isArray(body)) {
    if (body.length === 0) return { code: ErrorCode.InvalidRequest, message: "Invalid Request: an empty batch" };
    for (const m of body) {
      const problem = problemOf(m);
      if (problem) return problem;
    }
    return null;
  }
  return problemOf(body);
}
