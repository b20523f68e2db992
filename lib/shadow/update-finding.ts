import { and, eq, ne } from "drizzle-orm";
import { shadowBlocks, shadowFindingEvents, shadowFindings, users, type ShadowFinding } from "@/db/schema";
import { actorLabel, authorize } from "@/lib/auth/actor";
import { recordAudit } from "@/lib/audit/record-audit";
import type { Ctx } from "@/lib/context";
import { ConflictError, ValidationError } from "@/lib/errors";
import { blockTargetOf } from "@core/shadow/blocklist";
import { guardApprovedServers } from "./blocks";
import { resolveRollout, rolloutAuditDetails } from "./rollout";
import { getFinding, loadFinding } from "./queries";
import { UpdateFindingInput, type FindingDetailOutput } from "./schemas";

/** The block-list entry a blocked finding adds: its canonical URL's path, or the whole origin. */
function blockTargetForFinding(f: Pick<ShadowFinding, "url" | "origin">, scope: "url" | "origin"): { origin: string; pathPrefix: string } | null {
  if (!f.url) return null;
  const t = blockTargetOf(f.url);
  if (!t) return null;
  return scope === "origin" ? { origin: t.origin, pathPrefix: "" } : t;
}

/**
 * One triage step: state (new → investigating → resolved as approved / blocked / false positive,
 * and back to investigating to reopen), assignee, a note — each a timeline row, all in one
 * transaction with the audit row. Resolving as blocked adds the finding's block-list entry (it
 * reaches the edge with the next publish), blocking at once or logging until `enforceAt`
 * (`blockMode: "log"`); leaving "blocked" removes it.
 */
export async function updateFinding({ db, actor }: Ctx, id: string, rawInput: unknown, now = new Date()): Promise<FindingDetailOutput> {
  authorize(actor, "shadow.triage");
  const input = UpdateFindingInput.parse(rawInput);
  await db.transaction(async (tx) => {
    const f = await loadFinding(tx, id, true);
    const label = actorLabel(actor);
    const event = (kind: string, details: Record<string, unknown> = {}, note: string | null = null) =>
      tx.insert(shadowFindingEvents).values({ findingId: id, kind, actorId: actor.userId, actorLabel: label, note, details });
    const patch: Partial<ShadowFinding> = {};

    if (input.assigneeId !== undefined && input.assigneeId !== f.assigneeId) {
      let email: string | null = null;
      if (input.assigneeId !== null) {
        const [u] = await tx.select({ email: users.email }).from(users).where(eq(users.id, input.assigneeId));
        if (!u) throw new ValidationError("No such user to assign", { assigneeId: "no such user" });
        email = u.email;
      }
      patch.assigneeId = input.assigneeId;
      await event("assigned", { assignee: email });
    }

    if (input.state !== undefined) {
      const to = input.state;
      const resolution = input.resolution ?? null;
      const rescope = to === f.state && resolution === "blocked" && f.resolution === "blocked" && input.blockScope !== undefined;
      if (to === f.state && resolution === f.resolution && !rescope) throw new ConflictError(`The finding is already ${describeState(to, resolution)}`);
      if (to === "new" && f.state !== "new") throw new ConflictError("A finding cannot go back to new; reopen it as investigating");
      if (resolution === "blocked") {
        const target = blockTargetForFinding(f, input.blockScope ?? "url");
        if (!target) throw new ValidationError("A local (stdio) server cannot be blocked at the network edge; resolve it as false positive or approve it, and remove it from the laptops");
        const rollout = resolveRollout(input.blockMode ?? "block", input.enforceAt, now);
        await guardApprovedServers(tx, target, input.blockApproved, "blockScope");
        // Blocking again (another scope: its path ↔ the whole origin; another rollout) changes the finding's own entry
        // in place, so the events the edge marked with its id and the notices sent about it stay with it. Only when
        // another entry already holds the new target does the finding's own give way to it.
        const [own] = rescope ? await tx.select().from(shadowBlocks).where(eq(shadowBlocks.findingId, id)).for("update") : [];
        const [taken] = own
          ? await tx.select({ id: shadowBlocks.id }).from(shadowBlocks).where(and(eq(shadowBlocks.origin, target.origin), eq(shadowBlocks.pathPrefix, target.pathPrefix), ne(shadowBlocks.id, own.id)))
          : [];
        let added: { id: string } | undefined;
        if (own && !taken) {
          [added] = await tx
            .update(shadowBlocks)
            .set({ ...target, ...rollout, ...(input.note ? { reason: blockReason(f.key, input.note) } : {}) })
            .where(eq(shadowBlocks.id, own.id))
            .returning({ id: shadowBlocks.id });
        } else {
          if (own) await tx.delete(shadowBlocks).where(eq(shadowBlocks.id, own.id));
          [added] = await tx
            .insert(shadowBlocks)
            .values({ ...target, ...rollout, reason: blockReason(f.key, input.note), findingId: id, createdBy: actor.userId, createdByLabel: label })
            // An entry security already added (by hand, or for another finding) stays as it is, rollout included: it blocks
            // this server too, and reopening this finding must not remove it.
            .onConflictDoNothing()
            .returning({ id: shadowBlocks.id });
        }
        await event("blocked", { origin: target.origin, pathPrefix: target.pathPrefix, ...(added ? rolloutAuditDetails(rollout) : { existingEntry: true }) });
      } else if (f.resolution === "blocked") {
        const removed = await tx.delete(shadowBlocks).where(eq(shadowBlocks.findingId, id)).returning({ origin: shadowBlocks.origin, pathPrefix: shadowBlocks.pathPrefix });
        if (removed.length) await event("unblocked", { entries: removed });
      }
      patch.state = to;
      patch.resolution = resolution;
      if (!rescope) await event("state", { from: describeState(f.state, f.resolution), to: describeState(to, resolution) });
    }
    if (input.resolution !== "blocked") {
      for (const field of ["blockScope", "blockMode", "enforceAt"] as const) {
        if (input[field] !== undefined) throw new ValidationError(`${field} goes with state "resolved" and resolution "blocked"`, { [field]: "only when blocking" });
      }
    }

    if (input.note !== undefined) await event("note", {}, input.note);
    if (Object.keys(patch).length === 0 && input.note === undefined) throw new ConflictError("Nothing changed: pick a new state or assignee, or write a note");
    await tx.update(shadowFindings).set({ ...patch, updatedAt: new Date() }).where(eq(shadowFindings.id, id));
    await recordAudit(tx, actor, {
      action: "finding.update",
      targetType: "shadow_finding",
      targetId: id,
      details: { key: f.key, ...(input.state ? { from: describeState(f.state, f.resolution), to: describeState(input.state, input.resolution ?? null) } : {}), ...(input.assigneeId !== undefined ? { assigneeId: input.assigneeId } : {}), ...(input.note ? { note: true } : {}) },
    });
  });
  return getFinding({ db, actor }, id);
}

/**
 * The block-list entry's reason: the note security wrote when blocking (what a refused user and the
 * next admin read), then the finding it came from; within the bundle's 500 characters.
 */
function blockReason(key: string, note: string | undefined): string {
  const source = `shadow MCP finding ${key}`;
  if (!note) return `Shadow MCP finding: ${key}`.slice(0, 500);
  const room = 500 - source.length - 3;
  const text = note.length > room ? `${note.slice(0, Math.max(0, room - 1))}…` : note;
  return `${text} (${source})`.slice(0, 500);
}

/** A finding's state as its timeline and audit rows say it: "new", "resolved (false positive)". */
export function describeState(state: ShadowFinding["state"], resolution: ShadowFinding["resolution"]): string {
  return state === "resolved" ? `resolved (${(resolution ?? "").replace("_", " ")})` : state;
}
