import { describe, expect, it } from "vitest";
import { childTraceparent, parseTraceparent, requestTrace, SPAN_ID } from "./traceparent";

const T = "4bf92f3577b34da6a3ce929d0e0e4736";
const P = "00f067aa0ba902b7";

describe("traceparent", () => {
  it("reads the spec's example and a later version's first four fields", () => {
    expect(parseTraceparent(`00-${T}-${P}-01`)).toEqual({ traceId: T, parentSpanId: P, flags: "01" });
    expect(parseTraceparent(`01-${T}-${P}-00-what-comes-later`)).toEqual({ traceId: T, parentSpanId: P, flags: "00" });
  });

  it("refuses what the spec refuses: version ff, extra fields on 00, upper case, all-zero ids, bad lengths, non-strings", () => {
    for (const bad of [`ff-${T}-${P}-01`, `00-${T}-${P}-01-x`, `00-${T.toUpperCase()}-${P}-01`, `00-${"0".repeat(32)}-${P}-01`, `00-${T}-${"0".repeat(16)}-01`, `00-${T.slice(1)}-${P}-01`, `00-${T}-${P}-1`, "", 42, null]) {
      expect(parseTraceparent(bad)).toBeNull();
    }
  });

  it("continues the caller's trace with a new span of the portal's; _meta wins over the header", () => {
    const trace = requestTrace(`00-${T}-${P}-01`, undefined)!;
    expect(trace).toMatchObject({ traceId: T, parentSpanId: P, flags: "01" });
    expect(trace.spanId).toMatch(SPAN_ID);
    expect(trace.spanId).not.toBe(P);
    expect(childTraceparent(trace)).toBe(`00-${T}-${trace.spanId}-01`);
    const other = "0af7651916cd43dd8448eb211c80319c";
    expect(requestTrace(`00-${T}-${P}-01`, { traceparent: `00-${other}-${P}-00` })!.traceId).toBe(other);
    expect(requestTrace(`00-${T}-${P}-01`, { traceparent: "garbage" })!.traceId).toBe(T);
    expect(requestTrace(null, {})).toBeNull();
    expect(requestTrace(`00-${T}-${P}-01`, undefined)!.spanId).not.toBe(trace.spanId);
  });
});
