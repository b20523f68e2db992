import { expect, it } from "vitest";
import { count } from "./count";

it("pairs a count with its noun, plural except for one", () => {
  expect([count(0, "rule"), count(1, "server"), count(3, "tool")]).toEqual(["0 rules", "1 server", "3 tools"]);
  expect(count(1234, "line")).toBe("1,234 lines");
});
