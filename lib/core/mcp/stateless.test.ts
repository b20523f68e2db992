import { describe, expect, it } from "vitest";
import { decodeHeaderValue, isStatelessVersion, readStatelessRequest, StatelessError, SUPPORTED_PROTOCOL_VERSIONS } from "./stateless";

const meta = (extra: Record<string, unknown> = {}) => ({ "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: "c", version: "1" }, "io.modelcontextprotocol/clientCapabilities": { sampling: {} }, ...extra });
const call = (params: Record<string, unknown> = {}) => ({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "weather_get", arguments: {}, _meta: meta(), ...params } });
const headers = { protocolVersion: "2026-07-28", method: "tools/call", name: "weather_get" };

describe("readStatelessRequest", () => {
  it("reads a well-formed request once: method, name, client info and capabilities", () => {
    const read = readStatelessRequest(call(), headers);
    expect(read).toMatchObject({ ok: true, request: { id: 7, method: "tools/call", name: "weather_get", clientInfo: { name: "c", version: "1" }, clientCapabilities: { sampling: {} } } });
  });

  it("takes a notification (no id) and a method without a name header", () => {
    const read = readStatelessRequest({ jsonrpc: "2.0", method: "tools/list", params: { _meta: meta() } }, { ...headers, method: "tools/list", name: null });
    expect(read.ok && read.request.id).toBeUndefined();
    expect(read.ok && read.request.name).toBeNull();
  });

  it.each([
    ["a batch", [call()], headers, -32600, /no batches/],
    ["a response", { jsonrpc: "2.0", id: 1, result: {} }, headers, -32600, /never responses/],
    ["no jsonrpc", { ...call(), jsonrpc: "1.0" }, headers, -32600, /"jsonrpc" must be "2.0"/],
    ["an object id", { ...call(), id: { a: 1 } }, headers, -32600, /"id" must be a string or a number/],
    ["no protocol version in _meta", call({ _meta: {} }), headers, -32602, /must carry "io.modelcontextprotocol\/protocolVersion"/],
    ["no MCP-Protocol-Version header", call(), { ...headers, protocolVersion: null }, StatelessError.HeaderMismatch, /MCP-Protocol-Version header is required/],
    ["a header version that differs from the body's", call(), { ...headers, protocolVersion: "2026-07-29" }, StatelessError.HeaderMismatch, /'2026-07-29' does not match body value '2026-07-28'/],
    ["no Mcp-Method", call(), { ...headers, method: null }, StatelessError.HeaderMismatch, /Mcp-Method header is required/],
    ["Mcp-Method naming another method", call(), { ...headers, method: "tools/list" }, StatelessError.HeaderMismatch, /Mcp-Method header value 'tools\/list' does not match body value 'tools\/call'/],
    ["no Mcp-Name on tools/call", call(), { ...headers, name: null }, StatelessError.HeaderMismatch, /Mcp-Name header is required for tools\/call/],
    ["Mcp-Name naming another tool (a router would send it elsewhere)", call(), { ...headers, name: "weather_delete" }, StatelessError.HeaderMismatch, /'weather_delete' does not match body value 'weather_get'/],
    ["a tools/call without a name", call({ name: 3 }), headers, -32602, /"params.name" must be a string/],
  ])("refuses %s with 400 and the revision's code", (_what, body, h, code, message) => {
    const read = readStatelessRequest(body, h);
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.status).toBe(400);
    expect(read.code).toBe(code);
    expect(read.message).toMatch(message);
  });

  it("answers an unknown later revision with UnsupportedProtocolVersion and the versions it speaks", () => {
    const body = call({ _meta: meta({ "io.modelcontextprotocol/protocolVersion": "2027-01-01" }) });
    const read = readStatelessRequest(body, { ...headers, protocolVersion: "2027-01-01" });
    expect(read).toMatchObject({ ok: false, status: 400, code: StatelessError.UnsupportedProtocolVersion, id: 7, data: { supported: [...SUPPORTED_PROTOCOL_VERSIONS], requested: "2027-01-01" } });
  });

  it("compares Mcp-Name after decoding its base64 form, and clips what it quotes", () => {
    const name = "wetter_grüße";
    const encoded = `=?base64?${btoa(String.fromCharCode(...new TextEncoder().encode(name)))}?=`;
    expect(readStatelessRequest(call({ name }), { ...headers, name: encoded }).ok).toBe(true);
    const long = "x".repeat(5_000);
    const read = readStatelessRequest(call(), { ...headers, name: long });
    expect(!read.ok && read.message.length).toBeLessThan(300);
  });
});

describe("decodeHeaderValue and isStatelessVersion", () => {
  it("decodes the sentinel form and refuses a broken one", () => {
    expect(decodeHeaderValue("us-west1")).toBe("us-west1");
    expect(decodeHeaderValue("=?base64?SGVsbG8sIOS4lueVjA==?=")).toBe("Hello, 世界");
    expect(decodeHeaderValue("=?base64?/w==?=")).toBeNull(); // 0xFF is not UTF-8
  });

  it("routes 2026-07-28 and later to the stateless path, everything earlier or absent to sessions", () => {
    expect(isStatelessVersion("2026-07-28")).toBe(true);
    expect(isStatelessVersion("2027-03-01")).toBe(true);
    expect(isStatelessVersion("2025-11-25")).toBe(false);
    expect(isStatelessVersion(null)).toBe(false);
    expect(isStatelessVersion("garbage")).toBe(false);
  });
});
