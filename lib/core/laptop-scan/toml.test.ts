import { describe, expect, it } from "vitest";
import { parseToml, TomlError } from "./toml";

describe("parseToml", () => {
  it("reads tables, quoted and dotted keys, strings, arrays, inline tables and scalars", () => {
    const doc = parseToml(`
# comment
model = "gpt-5" # trailing
[mcp_servers.docs]
command = "npx"
args = ["-y", 'lit\\eral', "esc \\"q\\" \\u00e9",
  # inside
  "last",
]
env = { A = "1", "B-2" = 'two' }
timeout = 1_000
enabled = false
[mcp_servers."with space".env]
K = """multi
line"""
tools.allow = ["a"]
`);
    expect(JSON.parse(JSON.stringify(doc))).toEqual({
      model: "gpt-5",
      mcp_servers: {
        docs: { command: "npx", args: ["-y", "lit\\eral", 'esc "q" é', "last"], env: { A: "1", "B-2": "two" }, timeout: 1000, enabled: false },
        "with space": { env: { K: "multi\nline", tools: { allow: ["a"] } } },
      },
    });
  });

  it("skips arrays of tables and keeps a hostile __proto__ section off Object.prototype", () => {
    const doc = parseToml(`[[profiles]]\nname = "x"\n[__proto__]\npolluted = "yes"\n`);
    expect(doc.profiles).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("fails with a position and no content on malformed input", () => {
    expect(() => parseToml(`a = "unterminated secret-value`)).toThrow(TomlError);
    try {
      parseToml(`x = 1\ny = [1, 2`);
    } catch (error) {
      expect((error as Error).message).toMatch(/^invalid TOML at position \d+$/);
    }
    expect(() => parseToml(`k = 1 2`)).toThrow(/invalid TOML/);
  });
});
