import { asc, eq } from "drizzle-orm";
import { z } from "zod";
import { savedViews, type SavedView } from "@/db/schema";
import { authorize, type Actor } from "../auth/actor";
import type { Ctx } from "../context";
import { ForbiddenError } from "../errors";
import { IsoDateTime, toIso, Uuid } from "@core/zod/helpers";
import { auditHref } from "./schemas";

/** At most this many saved views per person: a list to pick from, not a store. */
export const SAVED_VIEWS_MAX = 100;

export const SaveViewInput = z
  .object({
    name: z.string().trim().min(1, "give the view a name").max(100),
    query: z.string().max(4_000).describe("The Audit page's search parameters, e.g. `user=alice&decision=denied` (a leading `?` is fine; a cursor is dropped)"),
  })
  .strict();
export type SaveViewInput = z.input<typeof SaveViewInput>;

export const SavedViewOutput = z.object({
  id: Uuid,
  name: z.string(),
  query: z.string().describe("The view's filters as search parameters"),
  href: z.string().describe("The console's Audit page with these filters"),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
});
export type SavedViewOutput = z.infer<typeof SavedViewOutput>;
export const SavedViewList = z.object({ views: z.array(SavedViewOutput).describe("By name") });

/** Saved views belong to a person; the bootstrap token and system jobs have none. */
export function viewOwner(actor: Actor): string {
  if (!actor.userId) throw new ForbiddenError("Saved views belong to a person: use a person's session or API token");
  return actor.userId;
}

export const toSavedViewOutput = (row: SavedView): SavedViewOutput => ({
  id: row.id,
  name: row.name,
  query: row.query,
  href: auditHref(Object.fromEntries(new URLSearchParams(row.query))),
  createdAt: toIso(row.createdAt),
  updatedAt: toIso(row.updatedAt),
});

/** The caller's own saved views, by name. */
export async function listSavedViews({ db, actor }: Ctx): Promise<{ views: SavedViewOutput[] }> {
  authorize(actor, "usage.read");
  const rows = await db.select().from(savedViews).where(eq(savedViews.userId, viewOwner(actor))).orderBy(asc(savedViews.name));
  return { views: rows.map(toSavedViewOutput) };
}
