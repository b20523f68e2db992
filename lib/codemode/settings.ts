/**
 * The portal's Code Mode setting (docs/codemode.md): off, opt-in, on by default, or enforced, and
 * the shape it takes when on by default. Stored in `portal_settings`, compiled into the bundle
 * (absent while off, so a portal that never used it publishes the same content as before).
 */
import { z } from "zod";
import type { Queryable } from "@/db/client";
import { CODEMODE_MODES, CODEMODE_SHAPES, type BundleCodemode } from "@core/bundle/schema";
import { APPROVAL_RULES, type ApprovalRule } from "@core/codemode/approval";
import { authorize } from "../auth/actor";
import { readPortalSettings, writePortalSettings } from "../config/portal-settings";
import type { Ctx } from "../context";

export const CodemodeSettingsInput = z
  .object({
    mode: z.enum(CODEMODE_MODES, { error: `expected one of ${CODEMODE_MODES.join(", ")}` }),
    shape: z.enum(CODEMODE_SHAPES, { error: `expected one of ${CODEMODE_SHAPES.join(", ")}` }),
    approval: z
      .enum(APPROVAL_RULES, { error: `expected one of ${APPROVAL_RULES.join(", ")}` })
      .default("flagged")
      .describe("Tools without their own approval flag: flagged = none asks; writes = every tool not read-only, and every destructive one, asks"),
  })
  .strict();

export const CodemodeSettingsOutput = CodemodeSettingsInput.extend({ updatedAt: z.string().nullable() });
export type CodemodeSettingsOutput = z.infer<typeof CodemodeSettingsOutput>;

const DEFAULTS = { mode: "off", shape: "search_and_execute", approval: "flagged" } as const;

async function read(db: Queryable): Promise<CodemodeSettingsOutput> {
  const row = await readPortalSettings(db);
  return row ? { mode: row.codemodeMode, shape: row.codemodeShape, approval: row.codemodeApproval, updatedAt: row.updatedAt.toISOString() } : { ...DEFAULTS, updatedAt: null };
}

/** The setting as it stands (published with the next publish). Anyone signed in may read it: it says which URL to use. */
export async function getCodemodeSettings({ db, actor }: Ctx): Promise<CodemodeSettingsOutput> {
  authorize(actor, "portal.read");
  return read(db);
}

/** Changes the setting (admins: it changes what every client of the portal sees); takes effect at the next publish. */
export async function updateCodemodeSettings({ db, actor }: Ctx, raw: unknown): Promise<CodemodeSettingsOutput> {
  authorize(actor, "config.publish");
  const input = CodemodeSettingsInput.parse(raw);
  return db.transaction(async (tx) => {
    const before = await read(tx);
    const now = await writePortalSettings(tx, actor, { codemodeMode: input.mode, codemodeShape: input.shape, codemodeApproval: input.approval }, {
      action: "portal.codemode",
      details: { from: { mode: before.mode, shape: before.shape, approval: before.approval }, to: input },
    });
    return { ...input, updatedAt: now.toISOString() };
  });
}

/** For the bundle's tools: the approval rule while Code Mode is on, null while it is off (no tool is marked then). */
export async function codemodeApprovalRule(db: Queryable): Promise<ApprovalRule | null> {
  const settings = await read(db);
  return settings.mode === "off" ? null : settings.approval;
}

/** For the bundle: the setting, or nothing while Code Mode is off. */
export async function compileCodemode(db: Queryable): Promise<BundleCodemode | undefined> {
  const settings = await read(db);
  return settings.mode === "off" ? undefined : { mode: settings.mode, shape: settings.shape };
}
