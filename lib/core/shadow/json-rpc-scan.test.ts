import { describe, expect, it } from "vitest";
import { R_CONTENT, R_IS_ERROR, R_MODEL, R_OTHER, R_PROTOCOL_VERSION, R_ROLE, R_ROOTS, R_SERVER_INFO, R_TOOLS, scanBody } from "./json-rpc-scan";

const INITIALIZE = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"roots":{"listChanged":true}},"clientInfo":{"name":"x","version":"1"}}}';

describe("scanBody", () => {
  it("reads the top-level fields of one message and the keys of its params", () => {
    expect(scanBody(INITIALIZE)).toEqual([
      { jsonrpc2: true, method: "initialize", paramsKind: 1, protocolVersion: "2025-06-18", clientInfo: true, truncated: false, hasId: true, result: false, resultKeys: 0, capabilities: true, paramsName: false, lspMarkers: false, mcpMeta: false, extraKeys: false, trailing: false },
    ]);
  });

  it("skips leading whitespace and finds nothing in a body that is not an object or an array", () => {
    expect(scanBody(' \r\n\t{"jsonrpc":"2.0","method":"ping"}')).toMatchObject([{ jsonrpc2: true, method: "ping", hasId: false, truncated: false }]);
    expect(scanBody("hello")).toEqual([]);
    expect(scanBody('"{\\"jsonrpc\\":\\"2.0\\"}"')).toEqual([]);
    expect(scanBody("")).toEqual([]);
  });

  describe("truncated bodies", () => {
    it("keeps what it read before the cut inside params and marks the message truncated", () => {
      const cut = INITIALIZE.slice(0, INITIALIZE.indexOf('"listChanged"') + 16);
      expect(scanBody(cut)).toEqual([
        { jsonrpc2: true, method: "initialize", paramsKind: 1, protocolVersion: "2025-06-18", clientInfo: false, truncated: true, hasId: true, result: false, resultKeys: 0, capabilities: true, paramsName: false, lspMarkers: false, mcpMeta: false, extraKeys: false, trailing: false },
      ]);
    });

    it("reads no method from a method name cut in the middle", () => {
      expect(scanBody('{"jsonrpc":"2.0","method":"tools/ca')).toMatchObject([{ jsonrpc2: true, method: "", truncated: true }]);
    });

    it("stops at a key with no value yet, and at a cut in a string", () => {
      expect(scanBody('{"jsonrpc":"2.0","method":"tools/list","params":')).toMatchObject([{ method: "tools/list", paramsKind: 0, truncated: true }]);
      expect(scanBody('{"jsonrpc":"2.0","method":"tools/list","note":"unfinished')).toMatchObject([{ method: "tools/list", truncated: true }]);
    });

    it("treats malformed JSON as a cut", () => {
      expect(scanBody('{"jsonrpc" "2.0","method":"ping"}')).toMatchObject([{ jsonrpc2: false, method: "", truncated: true }]);
    });
  });

  describe("escapes", () => {
    it("never sees MCP JSON quoted inside another payload's string", () => {
      const quoted = JSON.stringify({ text: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: {} }) });
      expect(scanBody(quoted)).toEqual([
        { jsonrpc2: false, method: "", paramsKind: 0, protocolVersion: "", clientInfo: false, truncated: false, hasId: false, result: false, resultKeys: 0, capabilities: false, paramsName: false, lspMarkers: false, mcpMeta: false, extraKeys: true, trailing: false },
      ]);
    });

    it("skips escaped quotes and backslashes inside strings", () => {
      const body = '{"note":"say \\"method\\":\\"tools/call\\" \\\\","id":"a\\"b","jsonrpc":"2.0","method":"ping"}';
      expect(scanBody(body)).toMatchObject([{ jsonrpc2: true, method: "ping", hasId: true, truncated: false }]);
    });

    it("ends a string at the first quote after an even run of backslashes, however long the string", () => {
      const long = "x".repeat(5000);
      // "…\\" ends the string (two backslashes escape each other); "…\\\"…" does not (the third escapes the quote).
      expect(scanBody(`{"note":"${long}\\\\","jsonrpc":"2.0","method":"ping"}`)).toMatchObject([{ jsonrpc2: true, method: "ping", extraKeys: true, truncated: false }]);
      expect(scanBody(`{"note":"${long}\\\\\\","jsonrpc":"2.0","method":"ping"}`)).toMatchObject([{ jsonrpc2: false, method: "", truncated: true }]);
      expect(scanBody(`{"note":"\\\\\\"","jsonrpc":"2.0","method":"ping"}`)).toMatchObject([{ jsonrpc2: true, method: "ping", truncated: false }]);
      expect(scanBody(`{"a":{"b":"${long}\\"}"},"jsonrpc":"2.0","method":"tools/list"}`)).toMatchObject([{ jsonrpc2: true, method: "tools/list", truncated: false }]);
    });

    it("reads a method or version written with escapes as empty", () => {
      expect(scanBody('{"jsonrpc":"2.0","method":"tools\\/list"}')).toMatchObject([{ jsonrpc2: true, method: "", truncated: false }]);
      expect(scanBody('{"jsonrpc":"2.0","method":"initialize","params":{"protocolVersion":"2025\\u002d06-18"}}')).toMatchObject([{ method: "initialize", protocolVersion: "" }]);
    });
  });

  describe("batches", () => {
    it("reads every message of a batch array", () => {
      const batch = '[{"jsonrpc":"2.0","id":1,"method":"tools/list"} , {"jsonrpc":"2.0","method":"notifications/initialized"}]';
      expect(scanBody(batch)).toMatchObject([
        { method: "tools/list", hasId: true, truncated: false },
        { method: "notifications/initialized", hasId: false, truncated: false },
      ]);
    });

    it("keeps the messages before a cut, the last one marked truncated", () => {
      const messages = scanBody('[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":2,"meth');
      expect(messages).toHaveLength(2);
      expect(messages[0]).toMatchObject({ method: "tools/list", truncated: false });
      expect(messages[1]).toMatchObject({ method: "", hasId: true, truncated: true });
    });

    it("reads at most 32 messages, and stops at an element that is not an object", () => {
      const many = `[${Array.from({ length: 40 }, (_, i) => `{"jsonrpc":"2.0","id":${i},"method":"ping"}`).join(",")}]`;
      expect(scanBody(many)).toHaveLength(32);
      expect(scanBody('[1,{"jsonrpc":"2.0","method":"ping"}]')).toEqual([]);
      expect(scanBody('[{"jsonrpc":"2.0","method":"ping"},"x",{"jsonrpc":"2.0","method":"tools/list"}]')).toMatchObject([{ method: "ping" }]);
      expect(scanBody("[]")).toEqual([]);
    });
  });

  describe("nested objects", () => {
    it("reads only the first level of params", () => {
      const body = '{"jsonrpc":"2.0","method":"initialize","params":{"meta":{"protocolVersion":"2025-06-18","clientInfo":{}}}}';
      expect(scanBody(body)).toMatchObject([{ method: "initialize", paramsKind: 1, protocolVersion: "", clientInfo: false, truncated: false }]);
    });

    it("skips nested values with brackets inside their strings", () => {
      const body = '{"a":[{"b":"}]"},[[{}]]],"c":{"d":{"method":"tools/call"}},"jsonrpc":"2.0","method":"ping","params":[1]}';
      expect(scanBody(body)).toMatchObject([{ jsonrpc2: true, method: "ping", paramsKind: 2, truncated: false }]);
    });

    it("records which keys a result object has, ignoring _meta and stopReason", () => {
      const sampling = '{"jsonrpc":"2.0","id":3,"result":{"role":"assistant","content":{"type":"text","text":"{\\"roots\\":[]}"},"model":"m","stopReason":"endTurn","_meta":{}}}';
      expect(scanBody(sampling)).toMatchObject([{ hasId: true, result: true, resultKeys: R_ROLE | R_CONTENT | R_MODEL, truncated: false }]);
      expect(scanBody('{"jsonrpc":"2.0","id":4,"result":{"roots":[{"uri":"file:///x"}],"extra":1}}')).toMatchObject([{ result: true, resultKeys: R_ROOTS | R_OTHER }]);
      expect(scanBody('{"jsonrpc":"2.0","id":5,"result":[]}')).toMatchObject([{ result: true, resultKeys: 0 }]);
    });
  });

  describe("what tells MCP from other JSON-RPC and from MCP carried as data", () => {
    it("marks LSP's initialize by its params and by its capabilities, even when the body is cut inside them", () => {
      expect(scanBody('{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"processId":42,"clientInfo":{"name":"vscode"},"rootUri":"file:///r","capabilities":{}}}')).toMatchObject([{ lspMarkers: true, clientInfo: true, protocolVersion: "" }]);
      expect(scanBody('{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"capabilities":{"workspace":{"applyEdit":true},"textDocument":{"hov')).toMatchObject([{ lspMarkers: true, capabilities: true, truncated: true }]);
      expect(scanBody(INITIALIZE)).toMatchObject([{ lspMarkers: false }]);
    });

    it("reads a numeric protocolVersion (Agent Client Protocol) as none", () => {
      expect(scanBody('{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":1,"clientCapabilities":{}}}')).toMatchObject([{ protocolVersion: "", capabilities: false }]);
    });

    it("sees MCP 2026-07-28 metadata in params._meta, and a tool name", () => {
      const call = '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"search","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}';
      expect(scanBody(call)).toMatchObject([{ method: "tools/call", paramsName: true, mcpMeta: true }]);
      expect(scanBody('{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"_meta":{"progressToken":1}}}')).toMatchObject([{ paramsName: false, mcpMeta: false }]);
    });

    it("flags keys that are not JSON-RPC's (a log event) and a second document after the first (NDJSON)", () => {
      expect(scanBody('{"level":30,"jsonrpc":"2.0","id":1,"method":"tools/list","msg":"rpc"}')).toMatchObject([{ jsonrpc2: true, extraKeys: true }]);
      expect(scanBody('{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"x"}}')).toMatchObject([{ extraKeys: false }]);
      expect(scanBody('{"jsonrpc":"2.0","id":1,"method":"tools/list"}\n{"jsonrpc":"2.0","id":2,"method":"tools/call"}')).toMatchObject([{ trailing: true }]);
      expect(scanBody('{"jsonrpc":"2.0","id":1,"method":"tools/list"}\n')).toMatchObject([{ trailing: false }]);
    });

    it("records the keys of a server's answers", () => {
      expect(scanBody('{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"s"}}}')[0]!.resultKeys & (R_PROTOCOL_VERSION | R_SERVER_INFO)).toBe(R_PROTOCOL_VERSION | R_SERVER_INFO);
      expect(scanBody('{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}')).toMatchObject([{ resultKeys: R_TOOLS }]);
      expect(scanBody('{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":false}}')).toMatchObject([{ resultKeys: R_CONTENT | R_IS_ERROR }]);
    });
  });
});
