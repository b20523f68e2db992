/**
 * Tool names at the portal.
 *
 * The portal Worker exposes every approved tool of every approved server under one flat name,
 * `{server_slug}_{tool}`. Server slugs match `^[a-z0-9]+(?:-[a-z0-9]+)*$` (2–40 characters, see
 * `Slug` in lib/core/zod/helpers.ts) and never contain `_`, so the first `_` of a portal name
 * always ends the slug.
 *
 * AI clients (Claude, VS Code, OpenAI) refuse tool names outside `^[a-zA-Z0-9_-]{1,64}$`, while MCP
 * tool names may be longer and may contain `.`, `/` or any Unicode. The rules below turn any
 * upstream name into an acceptable one.
 *
 * THE RULES ARE A CONTRACT WITH CLIENTS. A client that saved a portal tool name (in a prompt, an
 * allow-list, a conversation) must find the same tool under the same name after a redeploy, on the
 * console (Node) and on the edge (workerd). So everything here is deterministic, uses only
 * ECMAScript-defined string operations and SHA-256, and must not change between versions: changing
 * a rule, the hash input or its encoding renames tools for every client.
 *
 * 1. If `${slug}_${tool}` is already valid and at most {@link MAX_TOOL_NAME_LENGTH} characters,
 *    it is used unchanged.
 * 2. Otherwise, every code point of the tool part outside `[A-Za-z0-9_-]` becomes `-` (one `-` per
 *    code point, so an emoji or a lone surrogate is one `-`; no Unicode normalisation). If the
 *    result fits in 64 characters, it is the name.
 * 3. If it is still too long, the tool part is cut and `-` plus 8 lowercase hex characters are
 *    appended: the first 4 bytes of SHA-256 over the ORIGINAL `${slug}\u0000${tool}` (UTF-8; see
 *    {@link wtf8} for strings that are not well-formed). Two long names that share a prefix thus
 *    still differ. The `${slug}_` part is kept intact and the tool part takes what is left, so
 *    the name is exactly 64 characters (less only in the case of rule 4).
 * 4. The slug part is cut only if `slug + "_" + 1 character + suffix` would exceed 64, i.e. for a
 *    slug over 53 characters. Valid slugs are at most 40 characters (40 + 1 + 1 + 9 = 51 ≤ 64), so
 *    this never happens for a registered server; for a longer one the slug part keeps its first 40
 *    characters, which still names the server to a reader, and the hash (over the full slug) keeps
 *    the name unique.
 * 5. A slug is validated when the server is registered. As a defence only, so that the output is
 *    always a valid name whose first `_` ends the slug, code points of the slug outside
 *    `[A-Za-z0-9-]` also become `-` (a valid slug is unchanged by this).
 * 6. Across a whole catalogue ({@link buildToolNameMap}), names that come out equal for different
 *    upstream tools (sanitising `a.b` and `a-b` both gives `a-b`) are all replaced by their hashed
 *    form (rule 3's shape, applied even when the name is short); see that function for how further
 *    clashes are settled. The Worker must name tools through the map, not {@link portalToolName}
 *    alone: only the map sees the clashes.
 */
import { hex } from "@core/crypto/encoding";

/** Longest tool name that Claude, VS Code and OpenAI accept. */
export const MAX_TOOL_NAME_LENGTH = 64;

/** Mirrors the `Slug` schema (lib/core/zod/helpers.ts); only used to cut over-long slugs. */
const MAX_SERVER_SLUG_LENGTH = 40;
const HASH_HEX_LENGTH = 8;
/** `-` and the hex digest. */
const SUFFIX_LENGTH = 1 + HASH_HEX_LENGTH;

const PORTAL_TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
// The `u` flag makes each code point (not each UTF-16 unit) one match.
const OUTSIDE_TOOL_ALPHABET = /[^A-Za-z0-9_-]/gu;
const OUTSIDE_SLUG_ALPHABET = /[^A-Za-z0-9-]/gu;

/** One upstream tool: the server's slug and the tool's name as the MCP server lists it. */
export interface UpstreamTool {
  serverSlug: string;
  toolName: string;
}

/** The catalogue-wide naming: both directions, a bijection. */
export interface ToolNameMap {
  /** Portal name → upstream tool (what the Worker uses to route a `tools/call`). */
  byPortalName: Map<string, UpstreamTool>;
  /** `${serverSlug}\u0000${toolName}` → portal name (what the Worker uses to build `tools/list`). */
  byUpstream: Map<string, string>;
}

/** Whether a client accepts `name` as a tool name: `^[a-zA-Z0-9_-]{1,64}$`. */
export function isValidPortalToolName(name: string): boolean {
  return PORTAL_TOOL_NAME.test(name);
}

/**
 * The portal name of one upstream tool, by rules 1–5 above. Deterministic and stable across
 * versions and runtimes. It does not see other tools, so it cannot settle clashes: build the
 * catalogue's names with {@link buildToolNameMap}.
 */
export async function portalToolName(serverSlug: string, toolName: string): Promise<string> {
  return nameAtLevel(serverSlug, toolName, 0);
}

/**
 * Names a whole catalogue. Each distinct upstream tool gets its {@link portalToolName}; every tool
 * whose name clashes with another's moves to its next level, and this repeats until no two tools
 * share a name:
 * - level 0 is {@link portalToolName};
 * - level 1 is the hashed form of rule 3 (suffix from SHA-256 of `${slug}\u0000${tool}`);
 * - level n ≥ 2 is the hashed form with the suffix from SHA-256 of `${slug}\u0000${tool}\u0000${n-1}`.
 *
 * Every member of a clash moves (not the "first" one to arrive), so the result depends only on the
 * set of tools, never on their order. Entries repeated in the input are named once. Each level's
 * suffix is a fresh hash, so a clash that survives a level (a 32-bit collision, or a tool literally
 * named like another's hashed form) is gone a level later; in practice one round settles all.
 * Both maps are filled in the order of the upstream key (UTF-16 code units), so even iteration order
 * is independent of the input's.
 */
export async function buildToolNameMap(entries: UpstreamTool[]): Promise<ToolNameMap> {
  const tools = new Map<string, UpstreamTool>();
  for (const { serverSlug, toolName } of entries) {
    const key = upstreamKey(serverSlug, toolName);
    const seen = tools.get(key);
    // Only a slug containing U+0000 (never valid) can make two different entries share a key;
    // keep the smaller slug so that even then the choice does not depend on input order.
    if (seen === undefined || serverSlug < seen.serverSlug) tools.set(key, { serverSlug, toolName });
  }
  const keys = [...tools.keys()].sort(compareCodeUnits);

  const level = new Map<string, number>();
  const name = new Map<string, string>();
  await Promise.all(
    keys.map(async (key) => {
      const tool = tools.get(key)!;
      level.set(key, 0);
      name.set(key, await nameAtLevel(tool.serverSlug, tool.toolName, 0));
    }),
  );

  for (;;) {
    const claimants = new Map<string, string[]>();
    for (const key of keys) {
      const portalName = name.get(key)!;
      const group = claimants.get(portalName);
      if (group) group.push(key);
      else claimants.set(portalName, [key]);
    }
    const clashing = [...claimants.values()].filter((group) => group.length > 1).flat();
    if (clashing.length === 0) break;
    await Promise.all(
      clashing.map(async (key) => {
        const tool = tools.get(key)!;
        const next = level.get(key)! + 1;
        level.set(key, next);
        name.set(key, await nameAtLevel(tool.serverSlug, tool.toolName, next));
      }),
    );
  }

  const byPortalName = new Map<string, UpstreamTool>();
  const byUpstream = new Map<string, string>();
  for (const key of keys) {
    const portalName = name.get(key)!;
    byPortalName.set(portalName, tools.get(key)!);
    byUpstream.set(key, portalName);
  }
  return { byPortalName, byUpstream };
}

/** The key of {@link ToolNameMap.byUpstream}, and the hash input of rule 3. */
export function upstreamKey(serverSlug: string, toolName: string): string {
  return `${serverSlug}\u0000${toolName}`;
}

async function nameAtLevel(serverSlug: string, toolName: string, level: number): Promise<string> {
  const slugPart = serverSlug.replace(OUTSIDE_SLUG_ALPHABET, "-");
  const toolPart = toolName.replace(OUTSIDE_TOOL_ALPHABET, "-");
  if (level === 0) {
    const plain = `${slugPart}_${toolPart}`;
    if (plain.length <= MAX_TOOL_NAME_LENGTH) return plain;
  }
  const key = upstreamKey(serverSlug, toolName);
  const hex = await sha256Hex8(level <= 1 ? key : `${key}\u0000${level - 1}`);
  const keptSlug = slugPart.length + 1 + 1 + SUFFIX_LENGTH > MAX_TOOL_NAME_LENGTH ? slugPart.slice(0, MAX_SERVER_SLUG_LENGTH) : slugPart;
  const toolBudget = MAX_TOOL_NAME_LENGTH - keptSlug.length - 1 - SUFFIX_LENGTH;
  return `${keptSlug}_${toolPart.slice(0, toolBudget)}-${hex}`;
}

async function sha256Hex8(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", wtf8(text));
  return hex(new Uint8Array(digest, 0, HASH_HEX_LENGTH / 2));
}

/**
 * UTF-8 bytes of `text`, except that a lone surrogate is encoded as its own 3-byte sequence
 * (WTF-8) instead of U+FFFD as `TextEncoder` does. For every well-formed string this is exactly
 * UTF-8; for the rest it keeps distinct strings distinct (`"\ud800"` and `"\udc00"` would both be
 * EF BF BD in UTF-8), so two different upstream names never get the same hash input.
 */
function wtf8(text: string): Uint8Array<ArrayBuffer> {
  const bytes: number[] = [];
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    if (cp < 0x80) bytes.push(cp);
    else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return new Uint8Array(bytes);
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
