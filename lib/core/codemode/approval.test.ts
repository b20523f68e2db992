import { describe, expect, it } from "vitest";
import { needsApproval } from "./approval";

describe("needsApproval", () => {
  it("follows the tool's flag first, then the portal's rule and the tool's annotations", () => {
    const readOnly = { readOnlyHint: true };
    const destructiveReadOnly = { readOnlyHint: true, destructiveHint: true };
    expect(needsApproval("ask", readOnly, "flagged")).toBe(true);
    expect(needsApproval("never", {}, "writes")).toBe(false);
    expect(needsApproval(null, {}, "flagged")).toBe(false);
    expect(needsApproval(null, {}, "writes")).toBe(true);
    expect(needsApproval(null, undefined, "writes")).toBe(true);
    expect(needsApproval(null, readOnly, "writes")).toBe(false);
    expect(needsApproval(null, destructiveReadOnly, "writes")).toBe(true);
    expect(needsApproval(null, { readOnlyHint: "true" }, "writes")).toBe(true);
  });
});
