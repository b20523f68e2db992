import ts from "typescript";
import { describe, expect, it } from "vitest";
import { type McpToolDefinition } from "@core/tools/tool-types";
import { renderToolDeclaration, renderToolsModule, toolIdentifier } from "./render";
import { typeCheck } from "@/testing/typecheck";

// Real tools/list output of @modelcontextprotocol/server-filesystem, -github and -everything (trimmed).
const readTextFile: McpToolDefinition = {
  name: "read_text_file",
  title: "Read Text File",
  description:
    "Read the complete contents of a file from the file system as text. Use the 'head' parameter to read only the first N lines of a file, or the 'tail' parameter to read only the last N lines of a file.",
  inputSchema: {
    type: "object",
    properties: {
      path: { type: "string" },
      tail: { description: "If provided, returns only the last N lines of the file", type: "number" },
      head: { description: "If provided, returns only the first N lines of the file", type: "number" },
    },
    required: ["path"],
    $schema: "http://json-schema.org/draft-07/schema#",
  },
  outputSchema: {
    type: "object",
    properties: { content: { type: "string" } },
    required: ["content"],
    $schema: "http://json-schema.org/draft-07/schema#",
    additionalProperties: false,
  },
  annotations: { readOnlyHint: true, openWorldHint: false },
  execution: { taskSupport: "forbidden" },
};

const createIssue: McpToolDefinition = {
  name: "create_issue",
  description: "Create a new issue in a GitHub repository",
  inputSchema: {
    type: "object",
    properties: {
      owner: { type: "string" },
      repo: { type: "string" },
      title: { type: "string" },
      body: { type: "string" },
      assignees: { type: "array", items: { type: "string" } },
      milestone: { type: "number" },
      labels: { type: "array", items: { type: "string" } },
      state: { type: "string", enum: ["open", "closed"], description: "Initial state" },
    },
    required: ["owner", "repo", "title"],
    additionalProperties: false,
    $schema: "http://json-schema.org/draft-07/schema#",
  },
};

const createPullRequestReview: McpToolDefinition = {
  name: "create_pull_request_review",
  description: "Create a review on a pull request",
  inputSchema: {
    type: "object",
    properties: {
      owner: { type: "string", description: "Repository owner (username or organization)" },
      pull_number: { type: "number", description: "Pull request number" },
      event: { type: "string", enum: ["APPROVE", "REQUEST_CHANGES", "COMMENT"], description: "The review action to perform" },
      comments: {
        type: "array",
        items: {
          anyOf: [
            {
              type: "object",
              properties: { path: { type: "string" }, position: { type: "number" }, body: { type: "string" } },
              required: ["path", "position", "body"],
              additionalProperties: false,
            },
            {
              type: "object",
              properties: { path: { type: "string" }, line: { type: "number" }, body: { type: "string" } },
              required: ["path", "line", "body"],
              additionalProperties: false,
            },
          ],
        },
        description: "Comments to post as part of the review (specify either position or line, not both)",
      },
    },
    required: ["owner", "pull_number", "event"],
    additionalProperties: false,
  },
};

const getEnv: McpToolDefinition = {
  name: "get-env",
  title: "Print Environment Tool",
  description: "Returns all environment variables, helpful for debugging MCP server configuration",
  inputSchema: { type: "object", properties: {}, $schema: "http://json-schema.org/draft-07/schema#" },
};

const directoryTree: McpToolDefinition = {
  name: "directory_tree",
  description: "Get a recursive tree view of files and directories.",
  inputSchema: {
    type: "object",
    properties: { path: { type: "string" }, only: { type: "array", items: { $ref: "#/$defs/Entry" }, description: "Entries to include" } },
    required: ["path"],
    $defs: {
      Entry: {
        type: "object",
        properties: {
          name: { type: "string" },
          type: { enum: ["file", "directory"] },
          children: { type: "array", items: { $ref: "#/$defs/Entry" } },
        },
        required: ["name", "type"],
      },
    },
  },
  outputSchema: {
    type: "object",
    properties: { root: { $ref: "#/definitions/Entry" } },
    required: ["root"],
    definitions: {
      Entry: {
        type: "object",
        properties: {
          name: { type: "string" },
          children: { type: "array", items: { $ref: "#/definitions/Entry" } },
        },
        required: ["name"],
      },
    },
  },
};

/** Every JSON Schema feature the renderer knows, in one tool. */
const kitchenSink: McpToolDefinition = {
  name: "search.v2/run-query",
  description: "Runs a query. Ends a comment early? */ not here.\n\nSecond paragraph.",
  inputSchema: {
    type: "object",
    properties: {
      count: { type: "integer", default: 10 },
      ratio: { type: ["number", "null"] },
      mode: { const: "fast" },
      level: { enum: [1, 2, 3, null] },
      filter: { oneOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
      either: { anyOf: [{ type: "boolean" }, { type: "null" }] },
      both: { allOf: [{ $ref: "#/$defs/Named" }, { $ref: "#/$defs/Dated" }] },
      tags: { type: "object", additionalProperties: { type: "string" } },
      open: { type: "object", properties: { id: { type: "string" } }, required: ["id"], additionalProperties: true },
      closed: { type: "object", additionalProperties: false },
      point: { type: "array", prefixItems: [{ type: "number" }, { type: "number" }], items: false },
      legacyNullable: { type: "string", nullable: true },
      "content-type": { type: "string", description: "Key that is not an identifier" },
      anything: {},
      nothing: false,
      broken: { $ref: "#/$defs/DoesNotExist" },
      remote: { $ref: "https://example.com/schema.json" },
    },
    required: ["mode"],
    $defs: {
      Named: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
      Dated: { type: "object", properties: { at: { type: "string", format: "date-time" } } },
    },
  },
};

const realistic = [readTextFile, createIssue, createPullRequestReview, getEnv, directoryTree, kitchenSink];

/**
 * Type-checks declarations plus code that uses them, with the real compiler and strict settings.
 * Returns the diagnostics as text, one per line (empty when the program is valid).
 */
describe("toolIdentifier", () => {
  it("keeps valid names and maps every other character to _, one for one", () => {
    expect(toolIdentifier("read_text_file")).toBe("read_text_file");
    expect(toolIdentifier("get-env")).toBe("get_env");
    expect(toolIdentifier("github/create-issue")).toBe("github_create_issue");
    expect(toolIdentifier("search.v2/run-query")).toBe("search_v2_run_query");
    expect(toolIdentifier("a--b")).not.toBe(toolIdentifier("a-b"));
    expect(toolIdentifier("naïve")).toBe("na_ve");
  });

  it("fixes names a declaration cannot carry", () => {
    expect(toolIdentifier("2fa.verify")).toBe("_2fa_verify");
    expect(toolIdentifier("delete")).toBe("delete_");
    expect(toolIdentifier("")).toBe("_");
  });
});

describe("renderToolDeclaration", () => {
  it("renders the filesystem read_text_file tool", () => {
    expect(renderToolDeclaration(readTextFile)).toBe(`/**
 * Read the complete contents of a file from the file system as text. Use the 'head' parameter to read only the first N lines of a file, or the 'tail' parameter to read only the last N lines of a file.
 *
 * @mcpTool read_text_file
 */
declare function read_text_file(input: {
  path: string;
  /** If provided, returns only the last N lines of the file */
  tail?: number;
  /** If provided, returns only the first N lines of the file */
  head?: number;
}): Promise<{
  content: string;
}>;
`);
  });

  it("renders arrays, enums and optional fields of GitHub's create_issue", () => {
    const text = renderToolDeclaration(createIssue);
    expect(text).toContain("declare function create_issue(input: {\n");
    expect(text).toContain("\n  owner: string;\n");
    expect(text).toContain("\n  assignees?: string[];\n");
    expect(text).toContain('\n  /** Initial state */\n  state?: "open" | "closed";\n');
    expect(text).toContain("}): Promise<unknown>;");
  });

  it("parenthesizes a union inside an array", () => {
    const text = renderToolDeclaration(createPullRequestReview);
    expect(text).toContain('event: "APPROVE" | "REQUEST_CHANGES" | "COMMENT";');
    expect(text).toMatch(/comments\?: \(\{\n[\s\S]*position: number;[\s\S]*\} \| \{\n[\s\S]*line: number;[\s\S]*\}\)\[\];/);
  });

  it("makes the argument optional for a tool without parameters", () => {
    expect(renderToolDeclaration(getEnv)).toContain("declare function get_env(input?: Record<string, unknown>): Promise<unknown>;");
    expect(renderToolDeclaration({ name: "ping", inputSchema: { type: "object", additionalProperties: false } })).toBe(
      "/** @mcpTool ping */\ndeclare function ping(input?: Record<string, never>): Promise<unknown>;\n",
    );
  });

  it("inlines $defs and definitions, and stops at recursion with unknown", () => {
    // Entry is inlined once; its reference to itself renders as unknown.
    expect(renderToolDeclaration(directoryTree)).toBe(`/**
 * Get a recursive tree view of files and directories.
 *
 * @mcpTool directory_tree
 */
declare function directory_tree(input: {
  path: string;
  /** Entries to include */
  only?: {
    name: string;
    type: "file" | "directory";
    children?: unknown[];
  }[];
}): Promise<{
  root: {
    name: string;
    children?: unknown[];
  };
}>;
`);
  });

  it("maps every JSON Schema form it knows", () => {
    const text = renderToolDeclaration(kitchenSink);
    for (const line of [
      "  count?: number;",
      "  ratio?: number | null;",
      '  mode: "fast";',
      "  level?: 1 | 2 | 3 | null;",
      "  filter?: string | string[];",
      "  either?: boolean | null;",
      "  tags?: Record<string, string>;",
      "    [key: string]: unknown;",
      "  closed?: Record<string, never>;",
      "  point?: [number, number];",
      "  legacyNullable?: string | null;",
      '  "content-type"?: string;',
      "  anything?: unknown;",
      "  nothing?: never;",
      "  broken?: unknown;",
      "  remote?: unknown;",
    ]) {
      expect(text).toContain(`\n${line}\n`);
    }
    expect(text).toContain("  both?: {\n    name: string;\n  } & {\n    at?: string;\n  };\n");
    expect(text).toContain("  /** @default 10 */\n  count?: number;");
    expect(text).toContain("declare function search_v2_run_query(input: {");
  });

  it("keeps a description from closing the comment early and keeps its paragraphs", () => {
    const text = renderToolDeclaration(kitchenSink);
    expect(text).toContain(" * Runs a query. Ends a comment early? *\\/ not here.\n *\n * Second paragraph.\n *\n * @mcpTool search.v2/run-query\n */\n");
    expect(text).not.toMatch(/\*\/(?!\n)/); // every comment closes at the end of its own line
  });

  it("wraps the declaration in a namespace when asked", () => {
    expect(renderToolDeclaration(getEnv, { namespace: "everything" })).toBe(
      `declare namespace everything {
  /**
   * Returns all environment variables, helpful for debugging MCP server configuration
   *
   * @mcpTool get-env
   */
  function get_env(input?: Record<string, unknown>): Promise<unknown>;
}
`,
    );
  });

  it("renders the output as unknown without an outputSchema", () => {
    expect(renderToolDeclaration(createIssue)).toMatch(/\): Promise<unknown>;\n$/);
  });

  it("stays bounded on a schema whose $refs fan out exponentially", () => {
    const defs: Record<string, unknown> = {};
    for (let i = 0; i < 30; i++) {
      defs[`D${i}`] = { type: "object", properties: { a: { $ref: `#/$defs/D${i + 1}` }, b: { $ref: `#/$defs/D${i + 1}` }, c: { $ref: `#/$defs/D${i + 1}` } } };
    }
    const text = renderToolDeclaration({ name: "bomb", inputSchema: { $ref: "#/$defs/D0", $defs: defs } });
    expect(text.length).toBeLessThan(200_000);
    expect(text).toContain("unknown");
  });

  it("stays bounded on a deeply nested schema", () => {
    let schema: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 200; i++) schema = { type: "array", items: schema };
    const text = renderToolDeclaration({ name: "deep", inputSchema: { type: "object", properties: { x: schema } } });
    expect(text).toContain("unknown");
    expect(text.length).toBeLessThan(1_000);
  });
});

describe("renderToolsModule", () => {
  it("is deterministic: sorted by tool name whatever the order of tools/list", () => {
    expect(renderToolsModule([...realistic].reverse())).toBe(renderToolsModule(realistic));
    const names = [...renderToolsModule(realistic).matchAll(/@mcpTool (\S+)/g)].map((m) => m[1]);
    expect(names).toEqual([...names].sort());
  });

  it("tells apart tools whose identifiers collide", () => {
    const text = renderToolsModule([
      { name: "get-user", inputSchema: { type: "object" } },
      { name: "get_user", inputSchema: { type: "object" } },
      { name: "get.user", inputSchema: { type: "object" } },
    ]);
    expect(text).toContain("/** @mcpTool get-user */\ndeclare function get_user(");
    expect(text).toContain("/** @mcpTool get.user */\ndeclare function get_user_2(");
    expect(text).toContain("/** @mcpTool get_user */\ndeclare function get_user_3(");
  });

  it("produces a program the TypeScript compiler accepts under strict settings", () => {
    expect(typeCheck({ "/tools.ts": renderToolsModule(realistic) })).toBe("");
    expect(typeCheck({ "/tools.ts": renderToolsModule(realistic, { namespace: "server" }) })).toBe("");
  });

  it("types calls: valid calls compile, wrong ones are rejected", () => {
    const tools = renderToolsModule(realistic, { namespace: "fs" });
    const valid = `
      async function main() {
        const file = await fs.read_text_file({ path: "/tmp/a", head: 10 });
        const upper: string = file.content.toUpperCase();
        await fs.create_issue({ owner: "o", repo: "r", title: "t", labels: ["bug"], state: "open" });
        await fs.create_pull_request_review({ owner: "o", pull_number: 1, event: "COMMENT", comments: [{ path: "a", line: 1, body: "b" }] });
        await fs.get_env();
        const tree = await fs.directory_tree({ path: "/" });
        return [upper, tree.root.name];
      }
      void main;
    `;
    expect(typeCheck({ "/tools.ts": tools, "/valid.ts": valid })).toBe("");

    const missingPath = `void fs.read_text_file({ head: 1 });`;
    expect(typeCheck({ "/tools.ts": tools, "/bad.ts": missingPath })).toMatch(/Property 'path' is missing/);
    const badEnum = `void fs.create_issue({ owner: "o", repo: "r", title: "t", state: "reopened" });`;
    expect(typeCheck({ "/tools.ts": tools, "/bad.ts": badEnum })).toMatch(/"reopened"/);
    const unknownKey = `void fs.create_issue({ owner: "o", repo: "r", title: "t", milestone: "v1" });`;
    expect(typeCheck({ "/tools.ts": tools, "/bad.ts": unknownKey })).toMatch(/not assignable to type 'number'/);
  });

  it("stays valid TypeScript for hostile names and descriptions", () => {
    const hostile: McpToolDefinition[] = [
      { name: "class", description: "*/ declare const pwned: 1; /*", inputSchema: { type: "object" } },
      { name: "9lives\n*/", description: "line\r\nbreak\u2028sep", inputSchema: { type: "object", properties: { "a\"b": { type: "string", description: "*/}" } } } },
      { name: "€uro", inputSchema: { type: "object", properties: { x: { enum: ["it's", 'say "hi"', "back\\slash"] } } } },
    ];
    const text = renderToolsModule(hostile);
    const sourceFile = ts.createSourceFile("/h.ts", text, ts.ScriptTarget.ES2022);
    expect((sourceFile as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics).toEqual([]);
    expect(typeCheck({ "/h.ts": text, "/use.ts": "void class_; void _9lives___; void _uro;" })).toBe("");
    expect(typeCheck({ "/h.ts": text, "/use.ts": "void pwned;" })).toMatch(/Cannot find name 'pwned'/);
  });
});
