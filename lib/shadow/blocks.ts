import { asc, eq } from "drizzle-orm";
import { servers, shadowBlocks, type ShadowBlock } from "@/db/schema";
import { ConflictError, NotFoundError } from "@/lib/errors";
import type { Queryable } from "@/db/client";
import type { BundleBlockEntry } from "@core/bundle/schema";
import { blockedBy, blockModeAt, type BlockTarget } from "@core/shadow/blocklist";
import type { BlockEntryOutput } from "./schemas";

export function toBlockOutput(b: ShadowBlock, now = new Date(), lastNotifiedAt: Date | null = null): BlockEntryOutput {
  return {
    id: b.id,
    origin: b.origin,
    pathPrefix: b.pathPrefix,
    reason: b.reason,
    findingId: b.findingId,
    mode: b.mode,
    enforceAt: b.enforceAt?.toISOString() ?? null,
    effectiveMode: blockModeAt(b, now.getTime()),
    lastNotifiedAt: lastNotifiedAt?.toISOString() ?? null,
    createdBy: b.createdByLabel,
    createdAt: b.createdAt.toISOString(),
  };
}

export async function allBlocks(db: Queryable): Promise<ShadowBlock[]> {
  return db.select().from(shadowBlocks).orderBy(asc(shadowBlocks.origin), asc(shadowBlocks.pathPrefix));
}

/** The bundle's block list (sorted, so equal state compiles to equal content). */
export async function compileBlocklist(db: Queryable): Promise<BundleBlockEntry[]> {
  return (await allBlocks(db)).map((b) => ({
    id: b.id,
    origin: b.origin,
    pathPrefix: b.pathPrefix,
    reason: b.reason.slice(0, 500),
    ...(b.findingId ? { findingId: b.findingId } : {}),
    // Only log entries carry a mode: a bundle of block entries is byte-for-byte what it was before rollouts.
    ...(b.mode === "log" ? { mode: "log" as const, ...(b.enforceAt ? { enforceAt: b.enforceAt.toISOString() } : {}) } : {}),
  }));
}

/**
 * The entry that refuses `url` at `at`, if any (registration refuses blocked URLs). Entries still
 * logging do not count: their rollout exists so that teams can request the servers they need.
 */
export async function blockFor(db: Queryable, url: string, at = Date.now()): Promise<ShadowBlock | null> {
  return blockedBy(url, (await allBlocks(db)).filter((b) => blockModeAt(b, at) === "block"));
}

export async function loadBlock(db: Queryable, id: string, lock = false): Promise<ShadowBlock> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new NotFoundError("No such block-list entry");
  const query = db.select().from(shadowBlocks).where(eq(shadowBlocks.id, id));
  const [row] = lock ? await query.for("update") : await query;
  if (!row) throw new NotFoundError("No such block-list entry");
  return row;
}


/** Approved servers (by URL as registered or the endpoint that answered) that an entry would block. */
export async function approvedServersBlockedBy(db: Queryable, target: BlockTarget): Promise<{ slug: string; name: string }[]> {
  const approved = await db.select({ slug: servers.slug, name: servers.name, url: servers.url, endpointUrl: servers.endpointUrl }).from(servers).where(eq(servers.status, "approved"));
  return approved.filter((s) => blockedBy(s.url, [target]) || blockedBy(s.endpointUrl, [target])).map(({ slug, name }) => ({ slug, name }));
}

/** A block-list entry that would cut off approved servers, refused until the caller says so (`blockApproved`). */
export class BlocksApprovedServerError extends ConflictError {
  override readonly code = "BLOCKS_APPROVED_SERVER";
  readonly fieldErrors: Record<string, string>;
  constructor(field: string, target: BlockTarget, hit: { slug: string; name: string }[]) {
    const names = hit.map((s) => `"${s.name}" (${s.slug})`).join(", ");
    super(
      `${target.origin}${target.pathPrefix} is the URL of the approved ${hit.length === 1 ? "server" : "servers"} ${names}: after the next publish every call to ${hit.length === 1 ? "it" : "them"} through the portal would be refused. Narrow the entry, or tick "Block approved servers too" to save it anyway.`,
    );
    this.fieldErrors = { [field]: `would block the approved ${hit.length === 1 ? "server" : "servers"} ${names}` };
  }
}

/** Refuses an entry that would block an approved server, unless `acknowledged`. */
export async function guardApprovedServers(db: Queryable, target: BlockTarget, acknowledged: boolean | undefined, field: string): Promise<void> {
  if (acknowledged) return;
  const hit = await approvedServersBlockedBy(db, target);
  if (hit.length) throw new BlocksApprovedServerError(field, target, hit);
}
