/**
 * Tool names at the portal: `{server_slug}_{tool}`, made acceptable to clients (`^[a-zA-Z0-9_-]{1,64}$`)
 * by deterministic rules. The rules are a contract with clients that saved a name, so they must not
 * change between versions or runtimes. The rules, numbered as the code below cites them:
 * docs/tool-names.md.
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
 * The portal name of one upstream tool, by rules 1–5 (docs/tool-names.md). Deterministic and
 * stable across versions and runtimes. It does not see other tools, so it cannot settle clashes:
 * build the catalogue's names with {@link buildToolNameMap}.
 */
export async function portalToolName(serverSlug: string, toolName: string): Promise<string> {
  return nameAtLevel(serverSlug, toolName, 0);
}

/**
 * Names a whole catalogue: each tool gets its {@link portalToolName}, and every member of a clash
 * moves to a hashed form until no two share a name, so the result depends only on the set of tools.
 * The levels: docs/tool-names.md, "A whole catalogue".
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
