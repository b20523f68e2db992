import { describe, expect, it } from "vitest";
import { checkAudit, type LedgerCall, type StoredMcpEvent } from "./audit-check.mjs";

const call = (id: string, start: number, end: number, extra: Partial<LedgerCall> = {}): LedgerCall => ({
  kind: "mcp", id, sessionId: "s1", tokenId: "t1", method: "tools/call", tool: "get_weather", start, end, ok: true, ...extra,
});
const event = (id: string, t: number, extra: Partial<StoredMcpEvent> = {}): StoredMcpEvent => ({
  id, t, session_id: "s1", token_id: "t1", method: "tools/call", tool: "get_weather", ...extra,
});

describe("checkAudit", () => {
  // Seen in a soak run: call a ended at the very millisecond call b started, and a's event carries
  // that millisecond. Taken in database order, b got both events and a none.
  it("matches events to calls whose windows touch, whatever order the rows come in", () => {
    const calls = [call("a", 100, 108), call("b", 108, 115)];
    for (const rows of [[event("e1", 108), event("e2", 111)], [event("e2", 111), event("e1", 108)]]) {
      const result = checkAudit(calls, { mcp: rows, llm: [] });
      expect(result.once).toBe(2);
      expect(result.missing).toEqual([]);
      expect(result.duplicated).toEqual([]);
    }
  });

  it("reports a missing event, a duplicated one and an event of no call", () => {
    const calls = [call("a", 100, 110), call("b", 120, 130), call("c", 140, 150)];
    const rows = [event("e1", 105), event("e2", 105), event("e3", 145), event("e4", 160), event("e5", 125, { tool: "list_forecasts" })];
    const result = checkAudit(calls, { mcp: rows, llm: [] });
    expect(result.missing.map((c) => c.id)).toEqual(["b"]);
    expect(result.duplicated.map((d) => [d.call.id, d.events])).toEqual([["a", 2]]);
    expect(result.unexpected.map((u) => u.id).sort()).toEqual(["e4", "e5"]);
  });

  it("matches LLM events by the marker in their request log", () => {
    const calls = [call("soak-llm-1-1", 100, 200, { kind: "llm", method: "chat" }), call("soak-llm-1-2", 200, 300, { kind: "llm", method: "chat" })];
    const llm = [
      { id: "l1", t: 150, token_id: "t1", request_log: '{"messages":[{"content":"Summarise the soak call soak-llm-1-1 in one short sentence"}]}' },
      { id: "l2", t: 150, token_id: "t2", request_log: '{"messages":[{"content":"Summarise the soak call soak-llm-1-1 in one short sentence"}]}' },
    ];
    const result = checkAudit(calls, { mcp: [], llm });
    expect(result.missing.map((c) => c.id)).toEqual(["soak-llm-1-2"]);
    expect(result.duplicated.map((d) => d.call.id)).toEqual(["soak-llm-1-1"]);
    expect(result.tokenMismatch).toEqual([{ id: "l2", call: "soak-llm-1-1" }]);
  });
});
