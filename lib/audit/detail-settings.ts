/**
 * What audit events keep of a tool call's content (lib/core/events/detail.ts): `masked` (the
 * default: arguments and a result excerpt with credentials and e-mail addresses masked), `secrets`
 * (credentials masked, addresses kept) or `off` (neither). Stored in `portal_settings`, compiled into
 * the bundle (absent at the default, so a portal that never changed it publishes the same content as
 * before); the edge applies it from the next publish.
 */
import { z } from "zod";
import type { Queryable } from "@/db/client";
import type { BundleAudit } from "@core/bundle/schema";
import { DEFAULT_EVENT_DETAIL, EVENT_DETAIL_MODES } from "@core/events/detail";
import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { readPortalSettings, writePortalSettings } from "../config/portal-settings";

export const AuditDetailInput = z
  .object({
    detail: z
      .enum(EVENT_DETAIL_MODES, { error: `expected one of ${EVENT_DETAIL_MODES.join(", ")}` })
      .describe("masked: arguments and result excerpts with credentials and e-mail addresses masked; secrets: credentials masked, addresses kept; off: not recorded"),
  })
  .strict();

export const AuditDetailOutput = AuditDetailInput.extend({ updatedAt: z.string().nullable() });
export type AuditDetailOutput = z.infer<typeof AuditDetailOutput>;

async function read(db: Queryable): Promise<AuditDetailOutput> {
  const row = await readPortalSettings(db);
  return row ? { detail: row.eventDetail, updatedAt: row.updatedAt.toISOString() } : { detail: DEFAULT_EVENT_DETAIL, updatedAt: null };
}

/** The setting as it stands (published with the next publish): anyone signed in may read what is recorded of their calls. */
export async function getAuditDetail({ db, actor }: Ctx): Promise<AuditDetailOutput> {
  authorize(actor, "portal.read");
  return read(db);
}

/** Changes it (security and admins: it decides what the audit trail holds); takes effect at the next publish. */
export async function updateAuditDetail({ db, actor }: Ctx, raw: unknown): Promise<AuditDetailOutput> {
  authorize(actor, "policies.manage");
  const input = AuditDetailInput.parse(raw);
  return db.transaction(async (tx) => {
    const before = await read(tx);
    const now = await writePortalSettings(tx, actor, { eventDetail: input.detail }, { action: "portal.audit_detail", details: { from: before.detail, to: input.detail } });
    return { ...input, updatedAt: now.toISOString() };
  });
}

/** For the bundle: the setting, or nothing at the default. */
export async function compileAudit(db: Queryable): Promise<{ audit?: BundleAudit }> {
  const { detail } = await read(db);
  return detail === DEFAULT_EVENT_DETAIL ? {} : { audit: { detail } };
}
