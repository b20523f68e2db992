/**
 * The impact preview: before publishing, who gains or loses which tools compared with what the
 * edge runs now. Both sides go through the edge's own checks (approved server, enabled tool,
 * policy), for every user × tool, so approvals, access grants, policies and identity changes all
 * show. Evaluated at the current time without a client IP: a rule that needs an address counts
 * as a deny, never as an allow (the edge fails closed the same way).
 */
import type { Queryable } from "@/db/client";
import { authorize } from "../auth/actor";
import { indexBundle, toolAccess, type BundleIndex } from "@core/bundle/bundle-index";
import type { BundleUser } from "@core/bundle/schema";
import { draftBundle } from "../config/compile-bundle";
import { latestDeployment, storedBundle } from "../config/record-deployment";
import type { Ctx } from "../context";
import { ruleLabel } from "./simulate";
import type { ImpactChange, ImpactOutput } from "./schemas";

export const IMPACT_LIMITS = { changes: 1_000, evaluations: 2_000_000 } as const;

function allowed(index: BundleIndex | null, user: BundleUser | undefined, slug: string, tool: string, at: Date): ReturnType<typeof toolAccess> | null {
  const server = index?.serversBySlug.get(slug);
  if (!index || !user || !server) return null;
  return toolAccess(index, { user, tokenId: null, clientIp: null, at }, server, tool);
}

export async function computeImpact(db: Queryable, now = new Date()): Promise<ImpactOutput> {
  const latest = await latestDeployment(db);
  const before = latest ? indexBundle(storedBundle(latest)) : null;
  const after = indexBundle(await draftBundle(db, now));
  const tools = new Map<string, { slug: string; tool: string }>();
  for (const index of [before, after]) for (const s of index?.bundle.servers ?? []) for (const t of s.tools) tools.set(`${s.slug}\u0000${t.name}`, { slug: s.slug, tool: t.name });
  const userIds = new Set([...(before?.bundle.users ?? []), ...after.bundle.users].map((u) => u.id));

  const changes: ImpactChange[] = [];
  let gained = 0;
  let lost = 0;
  let evaluations = 0;
  let complete = true;
  const labels = new Map<string, string>();
  const label = async (ruleId: string | null | undefined, fallback: string) => {
    if (!ruleId) return fallback;
    if (!labels.has(ruleId)) {
      const r = await ruleLabel(db, after.bundle.policies.rules.some((x) => x.id === ruleId) ? after : before!, ruleId);
      labels.set(ruleId, r.kind === "policy" ? `policy "${r.name}"` : r.name);
    }
    return labels.get(ruleId)!;
  };
  outer: for (const userId of userIds) {
    const userBefore = before?.usersById.get(userId);
    const userAfter = after.usersById.get(userId);
    const user = userAfter ?? userBefore!;
    for (const { slug, tool } of tools.values()) {
      if (++evaluations > IMPACT_LIMITS.evaluations) {
        complete = false;
        break outer;
      }
      const was = allowed(before, userBefore, slug, tool, now);
      const is = allowed(after, userAfter, slug, tool, now);
      const wasOk = was?.ok === true;
      const isOk = is?.ok === true;
      if (wasOk === isOk) continue;
      if (isOk) gained += 1;
      else lost += 1;
      if (changes.length >= IMPACT_LIMITS.changes) continue;
      let because: string;
      if (isOk) because = `allowed by ${await label(is.decision.ruleId, "a rule")}`;
      else if (!userAfter) because = "the user is disabled or removed";
      else if (!after.serversBySlug.has(slug)) because = "the server is no longer approved";
      else if (is && !is.ok && is.code === "TOOL_NOT_APPROVED") because = "the tool is no longer enabled";
      else if (is && !is.ok && is.code === "SERVER_BLOCKED") {
        const entry = after.coveredSlugs.get(slug);
        because = `blocked by the shadow-MCP block list (entry ${entry ? `${entry.origin}${entry.pathPrefix}: ${entry.reason}` : "for the server's URL"})`;
      }
      else because = is && !is.ok && is.decision?.ruleId ? `denied by ${await label(is.decision.ruleId, "a rule")}` : "no rule allows it any more (default deny)";
      changes.push({
        change: isOk ? "gained" : "lost",
        server: slug,
        tool,
        user: { id: user.id, email: user.email, teams: user.teamIds.map((t) => after.teamSlugs.get(t) ?? before?.teamSlugs.get(t) ?? t.slice(0, 8)) },
        because,
      });
    }
  }
  changes.sort((a, b) => a.server.localeCompare(b.server) || a.tool.localeCompare(b.tool) || a.change.localeCompare(b.change) || a.user.email.localeCompare(b.user.email));
  return { deployedVersion: latest?.version ?? null, gained, lost, changes, truncated: gained + lost > changes.length, complete, evaluatedAt: now.toISOString() };
}

export async function previewImpact({ db, actor }: Ctx): Promise<ImpactOutput> {
  authorize(actor, "policies.read");
  return computeImpact(db);
}
