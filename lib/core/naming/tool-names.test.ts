import { describe, expect, it } from "vitest";
import { type ToolNameMap, type UpstreamTool, buildToolNameMap, isValidPortalToolName, MAX_TOOL_NAME_LENGTH, portalToolName, upstreamKey } from "./tool-names";
import { seededRandom } from "@/testing/seeded-random.mjs";

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}


function shuffled<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

function expectBijection(map: ToolNameMap, entries: UpstreamTool[]): void {
  const distinct = new Set(entries.map((e) => upstreamKey(e.serverSlug, e.toolName)));
  expect(map.byUpstream.size).toBe(distinct.size);
  expect(map.byPortalName.size).toBe(distinct.size);
  for (const [key, name] of map.byUpstream) {
    expect(isValidPortalToolName(name), name).toBe(true);
    const tool = map.byPortalName.get(name);
    expect(tool).toBeDefined();
    expect(upstreamKey(tool!.serverSlug, tool!.toolName)).toBe(key);
  }
}

const entry = (serverSlug: string, toolName: string): UpstreamTool => ({ serverSlug, toolName });

describe("isValidPortalToolName", () => {
  it("accepts what clients accept: ^[a-zA-Z0-9_-]{1,64}$", () => {
    expect(isValidPortalToolName("github_create_issue")).toBe(true);
    expect(isValidPortalToolName("A-z_0-9")).toBe(true);
    expect(isValidPortalToolName("x".repeat(64))).toBe(true);
  });

  it("refuses empty, over-long and out-of-alphabet names", () => {
    expect(isValidPortalToolName("")).toBe(false);
    expect(isValidPortalToolName("x".repeat(65))).toBe(false);
    expect(isValidPortalToolName("github_files.read")).toBe(false);
    expect(isValidPortalToolName("github_files/read")).toBe(false);
    expect(isValidPortalToolName("github_café")).toBe(false);
    expect(isValidPortalToolName("github_read\n")).toBe(false);
    expect(isValidPortalToolName("github read")).toBe(false);
  });
});

describe("portalToolName", () => {
  it("leaves valid short names unchanged", async () => {
    expect(await portalToolName("github", "create_issue")).toBe("github_create_issue");
    expect(await portalToolName("my-docs", "Search-Pages_v2")).toBe("my-docs_Search-Pages_v2");
    expect(await portalToolName("ab", "x")).toBe("ab_x");
  });

  it("leaves a name of exactly 64 characters unchanged", async () => {
    const tool = "t".repeat(64 - "github_".length);
    const name = await portalToolName("github", tool);
    expect(name).toBe(`github_${tool}`);
    expect(name).toHaveLength(64);
  });

  it("shortens a 65-character name to a valid 64-character one that keeps slug_ and a prefix of the tool", async () => {
    const tool = "t".repeat(65 - "github_".length);
    const name = await portalToolName("github", tool);
    expect(name).toHaveLength(MAX_TOOL_NAME_LENGTH);
    expect(isValidPortalToolName(name)).toBe(true);
    expect(name).toMatch(/^github_t{48}-[0-9a-f]{8}$/);
  });

  it("takes the suffix from SHA-256 of the original `${slug}\\u0000${tool}`, in UTF-8", async () => {
    const tool = "Recherche.Dokumente/Übersicht ".repeat(4);
    const name = await portalToolName("acme", tool);
    const expected = (await sha256Hex(`acme\u0000${tool}`)).slice(0, 8);
    expect(name.endsWith(`-${expected}`)).toBe(true);
    expect(name.startsWith("acme_Recherche-Dokumente--bersicht-Recherche")).toBe(true);
  });

  it("gives different names to long names that share a prefix", async () => {
    const prefix = "list_all_repositories_for_the_authenticated_user_including_";
    const a = await portalToolName("github", `${prefix}archived`);
    const b = await portalToolName("github", `${prefix}forks`);
    expect(a).not.toBe(b);
    expect(a.slice(0, 55)).toBe(b.slice(0, 55));
    expect(isValidPortalToolName(a) && isValidPortalToolName(b)).toBe(true);
  });

  it("replaces dots, slashes and every non-ASCII code point with one '-' each", async () => {
    expect(await portalToolName("acme-docs", "files/read.v2")).toBe("acme-docs_files-read-v2");
    expect(await portalToolName("acme", "café")).toBe("acme_caf-");
    expect(await portalToolName("acme", "😀x")).toBe("acme_-x");
    expect(await portalToolName("acme", "a b:c@d")).toBe("acme_a-b-c-d");
    expect(await portalToolName("acme", "\ud800x")).toBe("acme_-x");
    expect(await portalToolName("acme", "日本語")).toBe("acme_---");
  });

  it("produces the same, hard-coded names as it always has", async () => {
    // These were computed once and are a contract: clients save portal tool names. If this test
    // fails, the change renames tools for every client; do not update the expectations, fix the code.
    expect(await portalToolName("github", "create_issue")).toBe("github_create_issue");
    expect(await portalToolName("acme-docs", "files/read.v2")).toBe("acme-docs_files-read-v2");
    expect(await portalToolName("atlassian-confluence-cloud-eu", "search_confluence_pages_using_cql_with_expanded_body_storage_format")).toBe(
      "atlassian-confluence-cloud-eu_search_confluence_pages_u-42600b47",
    );
  });

  it("always fits a valid slug: max slug (40) + '_' + 1 tool character + 9-character suffix ≤ 64", async () => {
    const MAX_SLUG = 40;
    expect(MAX_SLUG + 1 + 1 + 9).toBeLessThanOrEqual(MAX_TOOL_NAME_LENGTH);
    for (let length = 2; length <= MAX_SLUG; length++) {
      const slug = "s".repeat(length);
      const name = await portalToolName(slug, "x".repeat(200));
      expect(name).toHaveLength(MAX_TOOL_NAME_LENGTH);
      expect(isValidPortalToolName(name)).toBe(true);
      expect(name.slice(0, name.indexOf("_"))).toBe(slug);
      expect(name.slice(length + 1)).toMatch(/^x+-[0-9a-f]{8}$/);
    }
  });

  it("cuts an over-long slug (never valid) to its first 40 characters, still unique by the hash", async () => {
    const a = await portalToolName(`${"s".repeat(40)}-${"a".repeat(20)}`, "tool");
    const b = await portalToolName(`${"s".repeat(40)}-${"b".repeat(20)}`, "tool");
    expect(a).toMatch(/^s{40}_tool-[0-9a-f]{8}$/);
    expect(b).toMatch(/^s{40}_tool-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
  });

  it("keeps the first '_' as the end of the slug even for an invalid slug", async () => {
    const name = await portalToolName("my_server.x", "do_it");
    expect(name).toBe("my-server-x_do_it");
    expect(await portalToolName("", "")).toBe("_");
  });

  it("does not depend on earlier calls", async () => {
    const inputs: [string, string][] = [
      ["github", "create_issue"],
      ["acme", "x".repeat(100)],
      ["acme", "a.b"],
    ];
    const first = await Promise.all(inputs.map(([s, t]) => portalToolName(s, t)));
    const second = await Promise.all([...inputs].reverse().map(([s, t]) => portalToolName(s, t)));
    expect(second.reverse()).toEqual(first);
  });
});

describe("buildToolNameMap", () => {
  it("keeps names that do not clash as portalToolName gives them", async () => {
    const entries = [entry("github", "create_issue"), entry("acme-docs", "files/read.v2"), entry("acme", "x".repeat(80))];
    const map = await buildToolNameMap(entries);
    expectBijection(map, entries);
    for (const e of entries) {
      expect(map.byUpstream.get(upstreamKey(e.serverSlug, e.toolName))).toBe(await portalToolName(e.serverSlug, e.toolName));
    }
  });

  it("hashes every member of a clash made by sanitising (a.b, a-b, a/b)", async () => {
    const entries = [entry("github", "a.b"), entry("github", "a-b"), entry("github", "a/b"), entry("github", "c")];
    const map = await buildToolNameMap(entries);
    expectBijection(map, entries);
    // Hard-coded for the same reason as the portalToolName vectors: these names reach clients.
    expect(map.byUpstream.get("github\u0000a.b")).toBe("github_a-b-531a020b");
    expect(map.byUpstream.get("github\u0000a-b")).toBe("github_a-b-b9ad70fd");
    expect(map.byUpstream.get("github\u0000a/b")).toBe("github_a-b-b3689957");
    expect(map.byUpstream.get("github\u0000c")).toBe("github_c");
  });

  it("settles a clash with a tool literally named like another's hashed form", async () => {
    const entries = [entry("github", "a.b"), entry("github", "a-b"), entry("github", "a-b-531a020b")];
    const map = await buildToolNameMap(entries);
    expectBijection(map, entries);
    const names = [...map.byUpstream.values()];
    expect(names.every((name) => name.startsWith("github_a-b-"))).toBe(true);
    expect(names).not.toContain("github_a-b-531a020b");
  });

  it("separates names that differ only in lone surrogates (same UTF-8, different strings)", async () => {
    const entries = [entry("acme", "\ud800"), entry("acme", "\udc00"), entry("acme", "\ufffd")];
    const map = await buildToolNameMap(entries);
    expectBijection(map, entries);
  });

  it("separates same-tool names on different servers and long names sharing a 64-character prefix", async () => {
    const long = "a".repeat(70);
    const entries = [entry("one", "read"), entry("two", "read"), entry("one", `${long}1`), entry("one", `${long}2`)];
    const map = await buildToolNameMap(entries);
    expectBijection(map, entries);
    expect(map.byUpstream.get("one\u0000read")).toBe("one_read");
    expect(map.byUpstream.get("two\u0000read")).toBe("two_read");
  });

  it("names a repeated entry once and accepts an empty catalogue", async () => {
    const entries = [entry("github", "a.b"), entry("github", "a.b"), entry("github", "c")];
    const map = await buildToolNameMap(entries);
    expectBijection(map, entries);
    expect(map.byUpstream.get("github\u0000a.b")).toBe("github_a-b");

    const empty = await buildToolNameMap([]);
    expect(empty.byPortalName.size).toBe(0);
    expect(empty.byUpstream.size).toBe(0);
  });

  it("picks the same entry for a shared upstream key whatever the order (slug with U+0000, never valid)", async () => {
    const a = entry("x\u0000y", "z");
    const b = entry("x", "y\u0000z");
    const ab = await buildToolNameMap([a, b]);
    const ba = await buildToolNameMap([b, a]);
    expect([...ab.byPortalName]).toEqual([...ba.byPortalName]);
    expect([...ab.byPortalName.values()]).toEqual([b]);
  });

  it("gives the same maps, in the same order, for shuffled input", async () => {
    const entries = [
      entry("github", "a.b"),
      entry("github", "a-b"),
      entry("github", "a/b"),
      entry("github", "a-b-531a020b"),
      entry("github", "create_issue"),
      entry("acme", "x".repeat(90)),
      entry("acme", `${"x".repeat(90)}y`),
      entry("acme", "日本"),
      entry("acme", "中文"),
      entry("zeta", "read"),
    ];
    const reference = await buildToolNameMap(entries);
    const random = seededRandom(7);
    for (let i = 0; i < 20; i++) {
      const map = await buildToolNameMap(shuffled(entries, random));
      expect([...map.byPortalName]).toEqual([...reference.byPortalName]);
      expect([...map.byUpstream]).toEqual([...reference.byUpstream]);
    }
  });

  it("gives 1,000 random upstream names valid, unique names that split back to their slug", async () => {
    const random = seededRandom(2024);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const alphabet = ["a", "b", "Z", "0", "_", "-", ".", "/", ":", " ", "é", "ß", "日", "😀", "\ud800"];
    const slugs = ["ab", "github", "acme-docs", "s".repeat(40), `${"q".repeat(19)}-${"r".repeat(20)}`];
    const entries: UpstreamTool[] = [];
    while (entries.length < 1000) {
      const length = 1 + Math.floor(random() * (random() < 0.5 ? 6 : 120));
      let tool = "";
      while (tool.length < length) tool += pick(alphabet);
      entries.push(entry(pick(slugs), tool));
    }
    const map = await buildToolNameMap(entries);
    expectBijection(map, entries);
    const names = [...map.byUpstream.values()];
    expect(new Set(names).size).toBe(names.length);
    for (const [name, tool] of map.byPortalName) {
      expect(name.length).toBeLessThanOrEqual(MAX_TOOL_NAME_LENGTH);
      expect(name.slice(0, name.indexOf("_"))).toBe(tool.serverSlug);
    }
  });
});
