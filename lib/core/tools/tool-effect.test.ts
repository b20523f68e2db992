import { describe, expect, it } from "vitest";
import { toolEffect } from "./tool-effect";

describe("toolEffect", () => {
  it("reads MCP's hints cautiously", () => {
    expect(toolEffect({ readOnlyHint: true })).toBe("read-only");
    expect(toolEffect({ readOnlyHint: true, destructiveHint: true })).toBe("destructive");
    expect(toolEffect({ destructiveHint: true })).toBe("destructive");
    expect(toolEffect({ readOnlyHint: false, destructiveHint: false })).toBe("writes");
    // The spec's defaults: not read-only, may be destructive.
    expect(toolEffect({ readOnlyHint: false })).toBe("undeclared");
    expect(toolEffect(undefined)).toBe("undeclared");
    expect(toolEffect({ readOnlyHint: "yes" })).toBe("undeclared");
  });
});
