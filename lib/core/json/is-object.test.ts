import { describe, expect, it } from "vitest";
import { isJsonObject } from "./is-object";

describe("isJsonObject", () => {
  it("is true for objects only: not null, arrays or other values", () => {
    expect([{}, { a: 1 }].map(isJsonObject)).toEqual([true, true]);
    expect([null, undefined, [], [1], "x", 1, true].map(isJsonObject)).toEqual([false, false, false, false, false, false, false]);
  });
});
