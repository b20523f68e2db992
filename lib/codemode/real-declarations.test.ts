/**
 * Code Mode's declarations for real catalogs: the `tools/list` answers of four reference servers
 * from npm (everything, filesystem, memory, github; 62 tools), rendered as the `codemode` object a
 * model writes code against, compile with the TypeScript compiler under strict settings; correct
 * calls type-check and wrong ones are caught.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { listRealTools } from "@/testing/servers/real-tools.mjs";
import { typeCheck } from "@/testing/typecheck";
import { codemodeNames, declareCodemode, type CatalogTool } from "@core/codemode/search";
import { codemodeToolList } from "@core/codemode/tools";
import { buildToolNameMap, upstreamKey } from "@core/naming/tool-names";

describe("Code Mode declarations of real servers' tools", () => {
  let catalog: CatalogTool[];

  beforeAll(async () => {
    const servers = await listRealTools();
    const names = await buildToolNameMap(servers.flatMap((s) => s.tools.map((t) => ({ serverSlug: s.slug, toolName: t.name }))));
    catalog = servers.flatMap((s) => s.tools.map((t) => ({ name: names.byUpstream.get(upstreamKey(s.slug, t.name))!, serverSlug: s.slug, definition: t })));
  }, 60_000);

  it("covers at least 52 tools and compiles, per server and all together", () => {
    expect(catalog.length).toBeGreaterThanOrEqual(52);
    expect(typeCheck({ "/codemode.d.ts": declareCodemode(catalog) })).toBe("");
    for (const slug of ["everything", "filesystem", "memory", "github"]) {
      expect(typeCheck({ [`/${slug}.d.ts`]: declareCodemode(catalog.filter((t) => t.serverSlug === slug)) }), slug).toBe("");
    }
    // Every tool is declared under the identifier execute calls it by.
    const text = declareCodemode(catalog);
    for (const id of codemodeNames(catalog).keys()) expect(text).toContain(`function ${id}(`);
  });

  it("types calls against the real schemas: correct ones compile, wrong ones are caught", () => {
    const declarations = declareCodemode(catalog);
    const valid = `
      async function run() {
        await codemode.everything_echo({ message: "hi" });
        await codemode.filesystem_read_text_file({ path: "/tmp/a", head: 3 });
        await codemode.memory_create_entities({ entities: [{ name: "a", entityType: "person", observations: ["x"] }] });
        await codemode.github_create_issue({ owner: "o", repo: "r", title: "t", labels: ["bug"] });
      }
      void run;`;
    expect(typeCheck({ "/codemode.d.ts": declarations, "/run.ts": valid })).toBe("");
    expect(typeCheck({ "/codemode.d.ts": declarations, "/bad.ts": `void codemode.github_create_issue({ owner: "o", title: "t" });` })).toMatch(/Property 'repo' is missing/);
    expect(typeCheck({ "/codemode.d.ts": declarations, "/bad.ts": `void codemode.filesystem_read_text_file({ path: 1 });` })).toMatch(/not assignable to type 'string'/);
  });

  it("puts the same compiling API in the code tool's description", () => {
    const [code] = codemodeToolList("code", catalog) as { description: string }[];
    const api = /```ts\n([\s\S]*)```$/.exec(code!.description)![1]!;
    expect(api).toBe(declareCodemode(catalog));
    expect(typeCheck({ "/api.d.ts": api })).toBe("");
  });
});
