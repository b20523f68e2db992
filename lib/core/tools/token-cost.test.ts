import { describe, expect, it } from "vitest";
import { countTokens as exactO200k } from "gpt-tokenizer/encoding/o200k_base";
import { countTokens, countTokensBounded, EXACT_COUNT_LIMIT, estimateTokens, serverTokenCost, toolTokenCost } from "./token-cost";
import { type McpToolDefinition } from "./tool-types";
import { renderToolDeclaration, renderToolsModule } from "@core/codemode/render";

// GitHub's create_pull_request as @modelcontextprotocol/server-github returns it.
const createPullRequest: McpToolDefinition = {
  name: "create_pull_request",
  description: "Create a new pull request in a GitHub repository",
  inputSchema: {
    type: "object",
    properties: {
      owner: { type: "string", description: "Repository owner (username or organization)" },
      repo: { type: "string", description: "Repository name" },
      title: { type: "string", description: "Pull request title" },
      body: { type: "string", description: "Pull request body/description" },
      head: { type: "string", description: "The name of the branch where your changes are implemented" },
      base: { type: "string", description: "The name of the branch you want the changes pulled into" },
      draft: { type: "boolean", description: "Whether to create the pull request as a draft" },
      maintainer_can_modify: { type: "boolean", description: "Whether maintainers can modify the pull request" },
    },
    required: ["owner", "repo", "title", "head", "base"],
    additionalProperties: false,
    $schema: "http://json-schema.org/draft-07/schema#",
  },
};

// @modelcontextprotocol/server-everything's echo, exactly as tools/list returns it.
const echo = JSON.parse(
  '{"name":"echo","title":"Echo Tool","description":"Echoes back the input string","inputSchema":{"type":"object","properties":{"message":{"type":"string","description":"Message to echo"}},"required":["message"],"$schema":"http://json-schema.org/draft-07/schema#"},"annotations":{"readOnlyHint":true,"destructiveHint":false,"idempotentHint":true,"openWorldHint":false},"execution":{"taskSupport":"forbidden"}}',
) as McpToolDefinition;

describe("countTokens (o200k_base)", () => {
  it("is exact for ordinary text, whatever its length", () => {
    const base64 = Buffer.from(Uint8Array.from({ length: 45_000 }, (_, i) => (i * 7919) % 256)).toString("base64");
    const prose = "The quick brown fox jumps over the lazy dog, again and again.\n".repeat(500);
    for (const text of [base64, prose, JSON.stringify({ tools: [createPullRequest, echo] })]) expect(countTokens(text)).toBe(exactO200k(text));
  });

  it("counts runs the tokenizer is quadratic on in slices: within a token a slice of the exact count", () => {
    for (const run of ["a".repeat(5_000), "!".repeat(5_000), `${" ".repeat(5_000)}x`, `before ${"Z".repeat(3_000)} after`]) {
      const exact = exactO200k(run);
      const sliced = countTokens(run);
      expect(Math.abs(sliced - exact), JSON.stringify(run.slice(0, 10))).toBeLessThanOrEqual(Math.ceil(run.length / 200) + 1);
    }
  });

  it("estimates on the request path above the limit (4 bytes of UTF-8 a token), counts below it", () => {
    const big = "é".repeat(EXACT_COUNT_LIMIT + 1);
    expect(countTokensBounded(big)).toBe(estimateTokens(big));
    expect(estimateTokens(big)).toBe(Math.ceil(((EXACT_COUNT_LIMIT + 1) * 2) / 4));
    const small = "hello world ".repeat(100);
    expect(countTokensBounded(small)).toBe(exactO200k(small));
    // A megabyte of one letter is estimated, not tokenized (which would take minutes).
    expect(countTokensBounded("a".repeat(1_000_000))).toBe(250_000);
  });

  it("counts known strings exactly", () => {
    expect(countTokens("")).toBe(0);
    expect(countTokens("hello world")).toBe(2); // [24912, 2375]
    expect(countTokens('{"type":"object"}')).toBe(5);
  });

  it("counts special-token text as plain text instead of throwing", () => {
    expect(countTokens("a <|endoftext|> b")).toBe(9);
  });
});

describe("toolTokenCost", () => {
  it("counts the compact JSON of the tool and its TypeScript declaration", () => {
    const cost = toolTokenCost(echo);
    expect(cost.json).toBe(countTokens(JSON.stringify(echo)));
    expect(cost.typescript).toBe(countTokens(renderToolDeclaration(echo)));
    expect(cost).toEqual({ json: 96, typescript: 41 });
  });

  it("finds TypeScript cheaper than JSON Schema for a typical verbose schema", () => {
    const cost = toolTokenCost(createPullRequest);
    expect(cost.typescript).toBeLessThan(cost.json);
    expect(cost).toEqual({ json: 200, typescript: 160 });
  });
});

describe("serverTokenCost", () => {
  it("counts the whole tools/list result and the whole module, not a sum of parts", () => {
    const tools = [createPullRequest, echo];
    const cost = serverTokenCost(tools);
    expect(cost.json).toBe(countTokens(JSON.stringify({ tools })));
    expect(cost.typescript).toBe(countTokens(renderToolsModule(tools)));
    const parts = tools.map(toolTokenCost).reduce((a, b) => a + b.json, 0);
    expect(Math.abs(cost.json - parts)).toBeLessThan(10); // only the {"tools":[…]} wrapper and commas differ
  });

  it("counts only the empty result for a server without tools", () => {
    expect(serverTokenCost([])).toEqual({ json: countTokens('{"tools":[]}'), typescript: 0 });
  });
});
