import { describe, expect, it } from "vitest";
import { codemodeNames, declareCodemode, searchTools, SearchCursorError, words, type CatalogTool } from "./search";

const tool = (serverSlug: string, name: string, description: string, properties: Record<string, unknown> = {}, title?: string): CatalogTool => ({
  name: `${serverSlug}_${name}`,
  serverSlug,
  definition: { name, description, ...(title ? { title } : {}), inputSchema: { type: "object", properties, required: Object.keys(properties) } },
});

const catalog: CatalogTool[] = [
  tool("github", "create_issue", "Create a new issue in a GitHub repository", { owner: { type: "string" }, repo: { type: "string" }, title: { type: "string" } }),
  tool("github", "list_issues", "List issues in a GitHub repository with filtering options", { owner: { type: "string" }, repo: { type: "string" } }),
  tool("github", "search_code", "Search for code across GitHub repositories", { q: { type: "string" } }),
  tool("filesystem", "read_text_file", "Read the complete contents of a file from the file system as text", { path: { type: "string" } }, "Read text file"),
  tool("filesystem", "write_file", "Create a new file or completely overwrite an existing file", { path: { type: "string" }, content: { type: "string" } }),
  tool("memory", "create_entities", "Create multiple new entities in the knowledge graph", { entities: { type: "array" } }),
  tool("weather", "get-forecast", "Weather forecast for a city", { city: { type: "string" } }),
];

describe("words", () => {
  it("splits snake, kebab and camel case and lowercases", () => {
    expect(words("createIssue get-forecast read_text_file HTTPServer v2")).toEqual(["create", "issue", "get", "forecast", "read", "text", "file", "httpserver", "v2"]);
  });
});

describe("searchTools", () => {
  it("ranks the tool whose name carries the words first", () => {
    const page = searchTools(catalog, "create issue");
    expect(page.tools[0]!.name).toBe("github_create_issue");
    expect(page.tools.map((t) => t.name)).toContain("memory_create_entities");
  });

  it("finds a tool by its exact portal name or upstream name first", () => {
    expect(searchTools(catalog, "filesystem_write_file").tools[0]!.name).toBe("filesystem_write_file");
    expect(searchTools(catalog, "get-forecast").tools[0]!.name).toBe("weather_get-forecast");
  });

  it("lists a server's tools for its slug", () => {
    const page = searchTools(catalog, "github", { limit: 10 });
    expect(page.tools.slice(0, 3).map((t) => t.serverSlug)).toEqual(["github", "github", "github"]);
  });

  it("matches descriptions, prefixes and parameter names, and leaves out what matches nothing", () => {
    expect(searchTools(catalog, "knowledge").tools.map((t) => t.name)).toEqual(["memory_create_entities"]);
    expect(searchTools(catalog, "forec").tools.map((t) => t.name)).toEqual(["weather_get-forecast"]);
    expect(searchTools(catalog, "city").tools.map((t) => t.name)).toEqual(["weather_get-forecast"]);
    expect(searchTools(catalog, "zebra unicorn")).toEqual({ tools: [], total: 0 });
  });

  it("pages with a cursor that only works for its own query", () => {
    const first = searchTools(catalog, "", { limit: 3 });
    expect(first.total).toBe(catalog.length);
    expect(first.tools).toHaveLength(3);
    const second = searchTools(catalog, "", { limit: 3, cursor: first.nextCursor });
    const third = searchTools(catalog, "", { limit: 3, cursor: second.nextCursor });
    expect(third.nextCursor).toBeUndefined();
    const all = [...first.tools, ...second.tools, ...third.tools].map((t) => t.name);
    expect(all).toEqual([...catalog.map((t) => t.name)].sort());
    expect(() => searchTools(catalog, "github", { cursor: first.nextCursor })).toThrow(SearchCursorError);
    expect(() => searchTools(catalog, "", { cursor: "not a cursor" })).toThrow(SearchCursorError);
  });

  it("keeps pages small whatever limit is asked", () => {
    const many = Array.from({ length: 100 }, (_, i) => tool("s", `t${i}`, "does things"));
    expect(searchTools(many, "things", { limit: 1_000 }).tools).toHaveLength(20);
    expect(searchTools(many, "things", { limit: 0 }).tools).toHaveLength(1);
    expect(searchTools(many, "things").tools).toHaveLength(5);
  });
});

describe("declareCodemode and codemodeNames", () => {
  it("declares the tools inside the codemode namespace under the names code calls", () => {
    const text = declareCodemode(catalog.slice(5));
    expect(text).toContain("declare namespace codemode {");
    expect(text).toContain("function memory_create_entities(input: {");
    expect(text).toContain("function weather_get_forecast(input: {");
    expect(text).toContain("@mcpTool weather_get-forecast");
    expect([...codemodeNames(catalog.slice(5)).keys()]).toEqual(["memory_create_entities", "weather_get_forecast"]);
  });

  it("tells apart names that map to the same identifier, as the declarations do", () => {
    const twins = [tool("a", "x-y", "one"), tool("a", "x.y", "two")];
    const names = codemodeNames(twins);
    expect([...names.keys()].sort()).toEqual(["a_x_y", "a_x_y_2"]);
    const text = declareCodemode(twins);
    for (const id of names.keys()) expect(text).toContain(`function ${id}(`);
  });
});
