import { describe, expect, it } from "vitest";
import { makeEvent } from "@/testing/events";
import { csvCell, exportColumns, exportHead, exportLines } from "./export-format";
import type { McpEventOutput } from "./schemas";
import { parseCsv as readCsv } from "@/testing/csv";

const event = (overrides: Partial<McpEventOutput> = {}): McpEventOutput => ({ ...makeEvent(), receivedAt: "2030-01-01T00:00:01.000Z", ...overrides });

describe("export formats", () => {
  it("quotes CSV cells with commas, quotes and line breaks, and leaves plain ones alone", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell("cr\rlf")).toBe('"cr\rlf"');
    expect(csvCell(null)).toBe("");
    expect(csvCell(12)).toBe("12");
    expect(csvCell(-3)).toBe("-3");
    expect(csvCell(false)).toBe("false");
    expect(csvCell({ weather: 120 })).toBe('"{""weather"":120}"');
  });

  it("guards against formula injection: text starting with = + - @ gets a leading '", () => {
    expect(csvCell("=HYPERLINK(\"http://evil\")")).toBe("\"'=HYPERLINK(\"\"http://evil\"\")\"");
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-2+3")).toBe("'-2+3");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("\tcmd")).toBe("'\tcmd");
    expect(csvCell("a=b")).toBe("a=b");
  });

  it("writes every stored field under Portcullis's names, readable back cell for cell", () => {
    const tricky = event({ email: "=cmd|' /C calc'!A0", error: 'upstream said "no",\nthen closed', serverTokens: { a: 1 } });
    const rows = readCsv(exportHead("csv", "portcullis") + exportLines([tricky, event()], "csv", "portcullis"));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual(exportColumns("portcullis"));
    expect(rows[0]).toHaveLength(37);
    const cell = (name: string) => rows[1]![rows[0]!.indexOf(name)];
    expect(cell("id")).toBe(tricky.id);
    expect(cell("email")).toBe("'=cmd|' /C calc'!A0");
    expect(cell("error")).toBe('upstream said "no",\nthen closed');
    expect(cell("serverTokens")).toBe('{"a":1}');
    expect(cell("success")).toBe("true");
    expect(cell("via")).toBe("");
  });

  it("names fields as Cloudflare's mcp_portal_logs in the cloudflare profile; NDJSON is one object per line", () => {
    expect(exportColumns("cloudflare")).toEqual(
      expect.arrayContaining(["Datetime", "Method", "ToolCallName", "PromptGetName", "ResourceReadURI", "UserID", "UserEmail", "SessionID", "ServerID", "ServerURL", "Success", "Error", "ServerResponseDurationMs", "ClientIP", "ClientCountry"]),
    );
    const denied = event({ decision: "denied", reason: "POLICY_DENIED: not in team", success: false, error: null, durationMs: null });
    const lines = exportLines([denied, event({ method: "prompts/get", tool: null, prompt: "summarise" })], "ndjson", "cloudflare").split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("");
    expect(exportHead("ndjson", "cloudflare")).toBe("");
    expect(JSON.parse(lines[0]!)).toMatchObject({ Datetime: denied.time, ToolCallName: "get_weather", Success: false, Error: "POLICY_DENIED: not in team", ServerResponseDurationMs: null, UserEmail: denied.email, ColoCode: null });
    expect(JSON.parse(lines[1]!)).toMatchObject({ Method: "prompts/get", ToolCallName: null, PromptGetName: "summarise", Success: true });
    // The portcullis profile's NDJSON keeps structured fields structured.
    expect(JSON.parse(exportLines([event({ serverTokens: { a: 1 } })], "ndjson", "portcullis"))).toMatchObject({ serverTokens: { a: 1 }, wouldBlock: null });
  });
});
