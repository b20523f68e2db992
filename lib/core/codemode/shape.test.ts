import { describe, expect, it } from "vitest";
import { codemodeShape } from "./shape";

const shape = (mode: "off" | "opt-in" | "default" | "enforced" | undefined, param: string | null) => {
  const choice = codemodeShape(mode ? { mode, shape: "search_and_execute" } : undefined, param);
  return choice.ok ? choice.shape : `error: ${choice.message}`;
};

describe("codemodeShape", () => {
  it("follows the setting and the client's parameter", () => {
    const table: [Parameters<typeof shape>[0], string | null, string | null][] = [
      [undefined, null, null],
      [undefined, "code", null],
      ["off", "search_and_execute", null],
      ["opt-in", null, null],
      ["opt-in", "off", null],
      ["opt-in", "code", "code"],
      ["opt-in", "search_and_execute", "search_and_execute"],
      ["default", null, "search_and_execute"],
      ["default", "off", null],
      ["default", "code", "code"],
      ["enforced", "off", "search_and_execute"],
      ["enforced", null, "search_and_execute"],
      ["enforced", "code", "code"],
    ];
    for (const [mode, param, expected] of table) expect(shape(mode, param), `${mode} ${param}`).toBe(expected);
  });

  it("refuses a value it does not know, naming the ones it does", () => {
    expect(shape("opt-in", "yes")).toMatch(/^error: codemode=yes is not a Code Mode shape: use codemode=search_and_execute, codemode=code or codemode=off/);
  });
});
