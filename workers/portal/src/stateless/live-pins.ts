/**
 * The pin check, off the per-call path: per isolate, each upstream's live tools are listed (by the
 * portal itself, in an upstream session of its own, never a caller's) and hashed at most every
 * `PORTCULLIS_PIN_RECHECK_SECONDS` (default 60). A call uses what is known: a fresh listing is
 * awaited only the first time this isolate meets the server; after that a stale one is refreshed in
 * the background while calls go on against the last one. A tool whose live hash differs from its
 * pin is refused (quarantined) and reported, as on the session path.
 */
import type { BundleServer } from "@core/bundle/schema";
import { toolHash } from "@core/tools/tool-hash";
import type { McpToolDefinition } from "@core/tools/tool-types";
import { portalProof } from "../upstream-proof";
import { callUpstream, type CallOptions } from "./upstream-link";

const DEFAULT_RECHECK_MS = 60_000;
/** Pages of a tools/list the portal follows (a server with more tools than this is listed in part). */
const MAX_PAGES = 50;

interface Listing {
  at: number;
  hashes: Promise<Map<string, string>>;
  /** The same hashes once they arrived: what a list can use without waiting. */
  settled?: Map<string, string>;
  refreshing: boolean;
}

const listings = new Map<string, Listing>();

export function recheckMs(setting: string | undefined): number {
  const seconds = Number(setting);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : DEFAULT_RECHECK_MS;
}

const keyOf = (server: BundleServer) => `${server.id}\u0000${server.url}`;

async function list(options: Omit<CallOptions, "callerKey">): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    // The portal's own listing, in its own upstream session: its proofs name the portal, not the caller who happened to trigger it.
    const answer = await callUpstream({ ...options, callerKey: "portal:pin-check", proof: portalProof(options.proof.issuer) }, "tools/list", cursor ? { cursor } : {});
    if (answer.message.error) throw new Error(`tools/list: ${answer.message.error.message}`);
    const result = answer.message.result ?? {};
    const tools = Array.isArray(result.tools) ? (result.tools as McpToolDefinition[]) : [];
    for (const tool of tools) if (typeof tool?.name === "string") hashes.set(tool.name, await toolHash(tool));
    cursor = typeof result.nextCursor === "string" && result.nextCursor ? result.nextCursor : undefined;
    if (!cursor) break;
  }
  return hashes;
}

/**
 * The live hash of each tool of `server`, as of at most `maxAgeMs` ago when this isolate has a
 * listing (refreshing it in the background through `waitUntil` when older), else listed now.
 */
export function liveHashes(options: Omit<CallOptions, "callerKey">, maxAgeMs: number, waitUntil: (p: Promise<unknown>) => void): Promise<Map<string, string>> {
  const key = keyOf(options.server);
  const known = listings.get(key);
  const now = Date.now();
  if (!known) {
    const listing: Listing = { at: now, hashes: list(options), refreshing: false };
    listings.set(key, listing);
    listing.hashes.then(
      (hashes) => (listing.settled = hashes),
      // A failed first listing is not remembered: the next call tries again.
      () => listings.get(key) === listing && listings.delete(key),
    );
    return listing.hashes;
  }
  if (now - known.at >= maxAgeMs && !known.refreshing) {
    known.refreshing = true;
    const next = list(options);
    waitUntil(
      next.then(
        (hashes) => listings.set(key, { at: Date.now(), hashes: next, settled: hashes, refreshing: false }),
        // The upstream is down: keep the last listing, and look again at the next call.
        () => (known.refreshing = false),
      ),
    );
  }
  return known.hashes;
}

/** The live hashes this isolate already has for `server`, without waiting or listing; undefined when it has none yet. */
export function knownHashes(server: BundleServer): Map<string, string> | undefined {
  return listings.get(keyOf(server))?.settled;
}

/** Whether this isolate has listed `server`, or is listing it now (a list need not wait for it again). */
export function listingStarted(server: BundleServer): boolean {
  return listings.has(keyOf(server));
}

/** After an upstream's `notifications/tools/list_changed`, or a refusal that suggests drift: list again at the next call. */
export function forgetListing(server: BundleServer): void {
  listings.delete(keyOf(server));
}
