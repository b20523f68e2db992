import { describe, expect, it } from "vitest";
import { canonicalJson, hashedToolView, toolHash } from "./tool-hash";
import { type McpToolDefinition } from "./tool-types";

const readFile: McpToolDefinition = {
  name: "read_file",
  description: "Read a file",
  inputSchema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
};

async function sha256HexOf(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

describe("canonicalJson (RFC 8785)", () => {
  it("sorts keys at every depth and drops whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it("formats numbers in ECMAScript shortest form", () => {
    expect(canonicalJson(JSON.parse("[1.0, 1e21, 1E-7, -0, 0.1, 100, 1.5e3]"))).toBe("[1,1e+21,1e-7,0,0.1,100,1500]");
  });

  it("sorts keys by UTF-16 code units and keeps non-ASCII text unescaped", () => {
    // RFC 8785 §3.2.3: "\u20ac" (€) sorts before "\ud83d\ude00" (😀) by code units; "é" after ASCII.
    expect(canonicalJson({ "😀": 1, "€": 2, é: 3, z: 4 })).toBe('{"z":4,"é":3,"€":2,"😀":1}');
    expect(canonicalJson("line\nbreak \u0001 \"quoted\" \\ ü")).toBe('"line\\nbreak \\u0001 \\"quoted\\" \\\\ ü"');
  });

  it("refuses values JSON cannot carry", () => {
    expect(() => canonicalJson(Number.NaN)).toThrow();
    expect(() => canonicalJson(undefined)).toThrow(/no JSON representation/);
    expect(() => canonicalJson("\ud800")).toThrow(/surrogate/i);
  });
});

describe("toolHash", () => {
  it("matches a vector computed independently from the literal canonical string", async () => {
    const canonical = '{"description":"Read a file","inputSchema":{"properties":{"path":{"type":"string"}},"required":["path"],"type":"object"},"name":"read_file"}';
    expect(canonicalJson(hashedToolView(readFile))).toBe(canonical);
    const expected = await sha256HexOf(canonical);
    // Also computed outside the test with `printf %s "$canonical" | sha256sum`.
    expect(expected).toBe("9dd85ebc4622a086d250c40ae90991ef91f212991ce974e5e8c6539a5caf6704");
    expect(await toolHash(readFile)).toBe(expected);
  });

  it("is lowercase hex of 64 characters", async () => {
    expect(await toolHash(readFile)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("does not depend on key order or on whitespace in the received JSON", async () => {
    const reordered = JSON.parse(`{
      "inputSchema": { "required": ["path"], "properties": { "path": { "type": "string" } }, "type": "object" },
      "name": "read_file",
      "description": "Read a file"
    }`) as McpToolDefinition;
    expect(await toolHash(reordered)).toBe(await toolHash(readFile));
  });

  it("treats 1.0 and 1 as the same number, as JSON does", async () => {
    const a = JSON.parse('{"name":"t","inputSchema":{"type":"object","properties":{"n":{"type":"number","maximum":1.0}}}}') as McpToolDefinition;
    const b = JSON.parse('{"name":"t","inputSchema":{"type":"object","properties":{"n":{"type":"number","maximum":1}}}}') as McpToolDefinition;
    expect(await toolHash(a)).toBe(await toolHash(b));
  });

  it("changes when the description changes, even by one character", async () => {
    expect(await toolHash({ ...readFile, description: "Read a file." })).not.toBe(await toolHash(readFile));
  });

  it("changes when the input schema changes", async () => {
    const widened = { ...readFile, inputSchema: { ...readFile.inputSchema, properties: { path: { type: ["string", "null"] } } } };
    expect(await toolHash(widened)).not.toBe(await toolHash(readFile));
  });

  it("changes with every other field a client sees: name, title, outputSchema, annotations, icons, execution, _meta", async () => {
    const base = await toolHash(readFile);
    const variants: McpToolDefinition[] = [
      { ...readFile, name: "read_file2" },
      { ...readFile, title: "Read file" },
      { ...readFile, outputSchema: { type: "object" } },
      { ...readFile, annotations: { readOnlyHint: true } },
      { ...readFile, icons: [{ src: "https://example.com/i.png" }] },
      { ...readFile, execution: { taskSupport: "optional" } },
      { ...readFile, _meta: { "ui/resourceUri": "ui://x" } },
    ];
    const hashes = await Promise.all(variants.map(toolHash));
    expect(new Set([base, ...hashes]).size).toBe(variants.length + 1);
  });

  it("changes with unicode that looks the same (homoglyphs are a change)", async () => {
    expect(await toolHash({ ...readFile, description: "Read a fіle" /* Cyrillic і */ })).not.toBe(await toolHash(readFile));
  });

  it("ignores fields outside the spec, which SDK clients strip before the model sees them", async () => {
    const withExtra = { ...readFile, vendorExtension: { x: 1 } } as McpToolDefinition;
    expect(await toolHash(withExtra)).toBe(await toolHash(readFile));
  });

  it("treats an explicitly undefined optional field as absent", async () => {
    expect(await toolHash({ ...readFile, title: undefined })).toBe(await toolHash(readFile));
  });
});
