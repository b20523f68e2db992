import { asc } from "drizzle-orm";
import { shadowBlocks, type ShadowBlock } from "@/db/schema";
import type { Queryable } from "@/db/client";
import type { BundleBlockEntry } from "@core/bundle/schema";
import { blockedBy } from "@core/shadow/blocklist";
import type { BlockEntryOutput } from "./schemas";

export function toBlockOutput(b: ShadowBlock): BlockEntryOutput {
  return { id: b.id, origin: b.origin, pathPrefix: b.pathPrefix, reason: b.reason, findingId: b.findingId, createdBy: b.createdByLabel, createdAt: b.createdAt.toISOString() };
}

export async function allBlocks(db: Queryable): Promise<ShadowBlock[]> {
  return db.select().from(shadowBlocks).orderBy(asc(shadowBlocks.origin), asc(shadowBlocks.pathPrefix));
}

/** The bundle's block list (sorted, so equal state compiles to equal content). */
export async function compileBlocklist(db: Queryable): Promise<BundleBlockEntry[]> {
  return (await allBlocks(db)).map((b) => ({ id: b.id, origin: b.origin, pathPrefix: b.pathPrefix, reason: b.reason.slice(0, 500), ...(b.findingId ? { findingId: b.findingId } : {}) }));
}

/** The entry that blocks `url`, if any (registration refuses blocked URLs). */
export async function blockFor(db: Queryable, url: string): Promise<ShadowBlock | null> {
  return blockedBy(url, await allBlocks(db));
}

