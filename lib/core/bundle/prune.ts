import type { ConfigBundle } from "./schema";

type Subject = { type: string; teamId?: string; userId?: string };

/**
 * Drops what refers to a team or user the bundle no longer holds — policy rules, rate limits,
 * budgets, server owner teams — so a bundle rebuilt with today's identities (identity sync,
 * rollback) stays valid. Pure; token subjects stay (a revoked token simply matches nobody).
 */
export function pruneDangling(bundle: ConfigBundle): ConfigBundle {
  const teamIds = new Set(bundle.teams.map((t) => t.id));
  const userIds = new Set(bundle.users.map((u) => u.id));
  const present = (s: Subject) => (s.type === "team" ? teamIds.has(s.teamId!) : s.type === "user" ? userIds.has(s.userId!) : true);
  return {
    ...bundle,
    servers: bundle.servers.map((s) => ({ ...s, ownerTeamId: s.ownerTeamId && teamIds.has(s.ownerTeamId) ? s.ownerTeamId : null })),
    policies: { rules: bundle.policies.rules.filter((r) => present(r.subject)) },
    limits: (() => {
      const budgets = bundle.limits.budgets.filter((b) => present(b.subject));
      const kept = new Set(budgets.map((b) => b.id));
      const baselines = bundle.limits.baselines?.filter((b) => kept.has(b.budgetId));
      return { rateLimits: bundle.limits.rateLimits.filter((r) => present(r.subject)), budgets, ...(baselines ? { baselines } : {}) };
    })(),
  };
}
