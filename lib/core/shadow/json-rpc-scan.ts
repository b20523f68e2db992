/**
 * Tolerant JSON-RPC prefix scanner. Reads only the top level of the body (an object or a batch
 * array of objects) and the keys of `params` / `result`, skipping every string properly, so MCP
 * JSON quoted inside another payload's string is never seen. Stops quietly at truncation.
 */

export interface RpcMessage {
  jsonrpc2: boolean;
  method: string;
  paramsKind: 0 | 1 | 2; // 0 absent, 1 object, 2 other
  /** params.protocolVersion when a string ("" when absent or a number, as in other protocols). */
  protocolVersion: string;
  clientInfo: boolean;
  /** params.capabilities is an object. */
  capabilities: boolean;
  /** params.name is a string (tools/call, prompts/get). */
  paramsName: boolean;
  /** LSP's initialize markers: params.processId / rootUri / rootPath / workspaceFolders, capabilities.textDocument / workspace. */
  lspMarkers: boolean;
  /** params._meta has an `io.modelcontextprotocol/…` key (MCP 2026-07-28 per-request metadata). */
  mcpMeta: boolean;
  truncated: boolean;
  hasId: boolean;
  result: boolean;
  resultKeys: number; // bit set of the R_* flags below
  /** Top-level keys other than JSON-RPC's own (jsonrpc, id, method, params, result, error): a log event or record, not a message. */
  extraKeys: boolean;
  /** Another JSON value follows the message (NDJSON): a log stream or file, never one HTTP request of MCP. */
  trailing: boolean;
}

export const R_ROLE = 1,
  R_CONTENT = 2,
  R_MODEL = 4,
  R_ROOTS = 8,
  R_ACTION = 16,
  R_OTHER = 32,
  R_PROTOCOL_VERSION = 64,
  R_SERVER_INFO = 128,
  R_TOOLS = 256,
  R_IS_ERROR = 512,
  R_CAPABILITIES = 1024;

function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

/**
 * i at the opening quote; returns the index after the closing quote, or -1 when truncated. The
 * closing quote is the first one after an even run of backslashes (each backslash escapes the
 * character after it); found with indexOf, as bodies carry long strings (tool arguments).
 */
function skipString(s: string, i: number): number {
  let q = s.indexOf('"', i + 1);
  while (q >= 0) {
    let k = q - 1;
    while (k > i && s.charCodeAt(k) === 92 /* \ */) k--;
    if ((q - 1 - k) % 2 === 0) return q + 1;
    q = s.indexOf('"', q + 1);
  }
  return -1;
}

/** Skips any JSON value; returns the index after it, or -1 when truncated. */
function skipValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 34) return skipString(s, i);
  if (c === 123 || c === 91) {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (d === 34) {
        j = skipString(s, j);
        if (j < 0) return -1;
        j--;
      } else if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  for (let j = i; j < s.length; j++) {
    const d = s.charCodeAt(j);
    if (d === 44 || d === 125 || d === 93 || isWs(d)) return j;
  }
  return -1;
}

/** Reads a string value without escapes (method names, versions); "" when it has escapes. */
function readSimpleString(s: string, i: number): string {
  if (s.charCodeAt(i) !== 34) return "";
  const end = s.indexOf('"', i + 1);
  if (end < 0 || end - i > 200) return "";
  const v = s.slice(i + 1, end);
  return v.includes("\\") ? "" : v;
}

/**
 * The key between keyStart (opening quote) and keyEnd (after the closing quote) is keyQuoted:
 * lengths first, then the characters between the quotes, without allocating (a call of
 * startsWith per candidate key was a sixth of the scan).
 */
function keyIs(s: string, keyStart: number, keyEnd: number, keyQuoted: string): boolean {
  const n = keyQuoted.length;
  if (keyEnd - keyStart !== n) return false;
  for (let k = 1; k < n - 1; k++) if (s.charCodeAt(keyStart + k) !== keyQuoted.charCodeAt(k)) return false;
  return true;
}

/**
 * Scans an object at i; calls onKey(keyStart, keyEnd, valueStart) for each own key (keyEnd: after
 * its closing quote). onKey returns how to continue: the index after the value, or -1 to skip the
 * value generically. Returns the index after the object, or -1 when truncated.
 */
function scanObject(s: string, i: number, onKey: (keyStart: number, keyEnd: number, valueStart: number) => number): number {
  i = skipWs(s, i + 1);
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 125) return i + 1;
    if (c === 44) {
      i = skipWs(s, i + 1);
      continue;
    }
    if (c !== 34) return -1;
    const keyStart = i;
    const keyEnd = skipString(s, i);
    if (keyEnd < 0) return -1;
    i = skipWs(s, keyEnd);
    if (s.charCodeAt(i) !== 58 /* : */) return -1;
    i = skipWs(s, i + 1);
    if (i >= s.length) return -1;
    let next = onKey(keyStart, keyEnd, i);
    if (next === -1) next = skipValue(s, i);
    if (next < 0) return -1;
    i = skipWs(s, next);
  }
  return -1;
}

function newMessage(): RpcMessage {
  return { jsonrpc2: false, method: "", paramsKind: 0, protocolVersion: "", clientInfo: false, capabilities: false, paramsName: false, lspMarkers: false, mcpMeta: false, truncated: false, hasId: false, result: false, resultKeys: 0, extraKeys: false, trailing: false };
}

const MCP_META_KEY = '"io.modelcontextprotocol/';

function scanMessage(s: string, i: number, m: RpcMessage): number {
  const end = scanObject(s, i, (k, ke, v) => {
    if (keyIs(s, k, ke, '"jsonrpc"')) {
      m.jsonrpc2 = s.startsWith('"2.0"', v);
      return -1;
    }
    if (keyIs(s, k, ke, '"method"')) {
      m.method = readSimpleString(s, v);
      return -1;
    }
    if (keyIs(s, k, ke, '"id"')) {
      m.hasId = true;
      return -1;
    }
    if (keyIs(s, k, ke, '"params"')) {
      if (s.charCodeAt(v) !== 123) {
        m.paramsKind = 2;
        return -1;
      }
      m.paramsKind = 1;
      const e = scanObject(s, v, (pk, pke, pv) => {
        if (keyIs(s, pk, pke, '"protocolVersion"')) m.protocolVersion = readSimpleString(s, pv);
        else if (keyIs(s, pk, pke, '"clientInfo"')) m.clientInfo = s.charCodeAt(pv) === 123;
        else if (keyIs(s, pk, pke, '"name"')) m.paramsName = s.charCodeAt(pv) === 34;
        else if (keyIs(s, pk, pke, '"processId"') || keyIs(s, pk, pke, '"rootUri"') || keyIs(s, pk, pke, '"rootPath"') || keyIs(s, pk, pke, '"workspaceFolders"')) m.lspMarkers = true;
        else if (keyIs(s, pk, pke, '"capabilities"')) {
          if (s.charCodeAt(pv) !== 123) return -1;
          m.capabilities = true;
          return scanObject(s, pv, (ck, cke) => {
            if (keyIs(s, ck, cke, '"textDocument"') || keyIs(s, ck, cke, '"workspace"')) m.lspMarkers = true;
            return -1;
          });
        } else if (keyIs(s, pk, pke, '"_meta"')) {
          if (s.charCodeAt(pv) !== 123) return -1;
          return scanObject(s, pv, (mk) => {
            if (s.startsWith(MCP_META_KEY, mk)) m.mcpMeta = true;
            return -1;
          });
        }
        return -1;
      });
      if (e < 0) m.truncated = true;
      return e;
    }
    if (keyIs(s, k, ke, '"result"')) {
      m.result = true;
      if (s.charCodeAt(v) !== 123) return -1;
      const e = scanObject(s, v, (rk, rke) => {
        if (keyIs(s, rk, rke, '"role"')) m.resultKeys |= R_ROLE;
        else if (keyIs(s, rk, rke, '"content"')) m.resultKeys |= R_CONTENT;
        else if (keyIs(s, rk, rke, '"model"')) m.resultKeys |= R_MODEL;
        else if (keyIs(s, rk, rke, '"roots"')) m.resultKeys |= R_ROOTS;
        else if (keyIs(s, rk, rke, '"action"')) m.resultKeys |= R_ACTION;
        else if (keyIs(s, rk, rke, '"protocolVersion"')) m.resultKeys |= R_PROTOCOL_VERSION;
        else if (keyIs(s, rk, rke, '"serverInfo"')) m.resultKeys |= R_SERVER_INFO;
        else if (keyIs(s, rk, rke, '"tools"')) m.resultKeys |= R_TOOLS;
        else if (keyIs(s, rk, rke, '"isError"')) m.resultKeys |= R_IS_ERROR;
        else if (keyIs(s, rk, rke, '"capabilities"')) m.resultKeys |= R_CAPABILITIES;
        else if (!keyIs(s, rk, rke, '"_meta"') && !keyIs(s, rk, rke, '"stopReason"')) m.resultKeys |= R_OTHER;
        return -1;
      });
      if (e < 0) m.truncated = true;
      return e;
    }
    if (!keyIs(s, k, ke, '"error"')) m.extraKeys = true;
    return -1;
  });
  if (end < 0) m.truncated = true;
  return end;
}

/** Top-level JSON-RPC messages of a (possibly truncated) body prefix. */
export function scanBody(s: string): RpcMessage[] {
  const i = skipWs(s, 0);
  const c = s.charCodeAt(i);
  const out: RpcMessage[] = [];
  if (c === 123) {
    const m = newMessage();
    const end = scanMessage(s, i, m);
    if (end > 0 && skipWs(s, end) < s.length) m.trailing = true;
    out.push(m);
  } else if (c === 91) {
    // JSON-RPC batch (MCP 2025-03-26 allowed them).
    let j = skipWs(s, i + 1);
    while (j < s.length && out.length < 32) {
      if (s.charCodeAt(j) !== 123) break;
      const m = newMessage();
      const e = scanMessage(s, j, m);
      out.push(m);
      if (e < 0) break;
      j = skipWs(s, e);
      if (s.charCodeAt(j) !== 44) break;
      j = skipWs(s, j + 1);
    }
  }
  return out;
}
