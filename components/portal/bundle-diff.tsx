import type { BundleDiff } from "@core/bundle/diff";
import type { PolicyRule } from "@core/bundle/schema";
import { subjectLabel } from "@core/policy/subject";
import { count } from "@core/text/count";
import { Badge } from "../ui/badge";

function describeRule(rule: PolicyRule, teamSlug: (id: string) => string): string {
  const s = rule.subject;
  const who = s.type === "team" ? `team ${teamSlug(s.teamId)}` : subjectLabel(s);
  return `${rule.effect} ${who} → ${rule.resource.serverSlug} / ${rule.resource.tool} (priority ${rule.priority})`;
}

function Count({ label, c }: { label: string; c: BundleDiff["tokens"] }) {
  const changed = c.added + c.removed + c.changed > 0;
  return (
    <li>
      <span className="font-medium">{label}</span>: {c.from} → {c.to}
      {changed && (
        <span className="text-zinc-500">
          {" "}
          (+{c.added} −{c.removed}
          {c.changed ? ` ~${c.changed}` : ""})
        </span>
      )}
    </li>
  );
}

function codemodeLabel(c: NonNullable<BundleDiff["codemode"]>["from"]): string {
  return c ? `${c.mode} (${c.shape === "code" ? "code tool" : "search + execute"})` : "off";
}

const TONES = { added: "green", removed: "red", changed: "amber" } as const;

/** A section compared by id; shown only when something in it changed. */
function Named({ title, c, words, testId }: { title: string; c: BundleDiff["blocklist"]; words?: Record<keyof typeof TONES, string>; testId: string }) {
  if (c.added.length + c.removed.length + c.changed.length === 0) return null;
  return (
    <div data-testid={testId}>
      <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-zinc-500">{title}</h3>
      <ul className="space-y-1">
        {(["added", "removed", "changed"] as const).flatMap((kind) =>
          c[kind].map((item) => (
            <li key={`${kind}:${item.id}`}>
              <Badge tone={TONES[kind]}>{words?.[kind] ?? kind}</Badge> <code className="font-mono">{item.name}</code>
            </li>
          )),
        )}
      </ul>
    </div>
  );
}

/** A readable diff of two published bundles, every section of it. */
export function BundleDiffView({ diff, teamSlugs = {} }: { diff: BundleDiff; teamSlugs?: Record<string, string> }) {
  const teamSlug = (id: string) => teamSlugs[id] ?? id;
  if (diff.identical) return <p className="text-sm text-zinc-600" data-testid="bundle-diff">Versions {diff.from} and {diff.to} have the same content.</p>;
  return (
    <div className="space-y-4 text-sm" data-testid="bundle-diff">
      <div>
        <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-zinc-500">Servers</h3>
        <ul className="space-y-1">
          {diff.servers.added.map((s) => (
            <li key={s.id}>
              <Badge tone="green">added</Badge> <code className="font-mono">{s.slug}</code> ({count(s.tools, "tool")})
            </li>
          ))}
          {diff.servers.removed.map((s) => (
            <li key={s.id}>
              <Badge tone="red">removed</Badge> <code className="font-mono">{s.slug}</code>
            </li>
          ))}
          {diff.servers.changed.map((s) => (
            <li key={s.id}>
              <Badge tone="amber">changed</Badge> <code className="font-mono">{s.slug}</code>
              {s.fields.length > 0 && <span className="text-zinc-600"> · {s.fields.join(", ")}</span>}
              {s.tools.added.length > 0 && <span className="text-emerald-700"> · +{s.tools.added.join(", +")}</span>}
              {s.tools.removed.length > 0 && <span className="text-red-700"> · −{s.tools.removed.join(", −")}</span>}
              {s.tools.hashChanged.length > 0 && <span className="text-amber-800"> · re-pinned {s.tools.hashChanged.join(", ")}</span>}
              {s.tools.approvalChanged.length > 0 && <span className="text-amber-800"> · Code Mode approval changed: {s.tools.approvalChanged.join(", ")}</span>}
              {s.tools.readOnlyChanged.length > 0 && <span className="text-amber-800"> · read-only changed: {s.tools.readOnlyChanged.join(", ")}</span>}
            </li>
          ))}
          {diff.servers.added.length + diff.servers.removed.length + diff.servers.changed.length === 0 && <li className="text-zinc-500">No change.</li>}
        </ul>
      </div>
      <div>
        <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-zinc-500">Access rules</h3>
        <ul className="space-y-1">
          {diff.rules.added.map((r) => (
            <li key={r.id}>
              <Badge tone="green">added</Badge> {describeRule(r, teamSlug)}
            </li>
          ))}
          {diff.rules.removed.map((r) => (
            <li key={r.id}>
              <Badge tone="red">removed</Badge> {describeRule(r, teamSlug)}
            </li>
          ))}
          {diff.rules.changed.map(({ before, after }) => (
            <li key={after.id}>
              <Badge tone="amber">changed</Badge> {describeRule(before, teamSlug)} ⇒ {describeRule(after, teamSlug)}
            </li>
          ))}
          {diff.rules.added.length + diff.rules.removed.length + diff.rules.changed.length === 0 && <li className="text-zinc-500">No change.</li>}
        </ul>
      </div>
      <Named title="Shadow-MCP block list" c={diff.blocklist} words={{ added: "blocks", removed: "lifts the block on", changed: "changed" }} testId="diff-blocklist" />
      <Named title="Rate limits" c={diff.rateLimits} testId="diff-rate-limits" />
      <Named title="Budgets" c={diff.budgets} testId="diff-budgets" />
      <Named title="LLM providers" c={diff.llmProviders} testId="diff-llm-providers" />
      <Named title="LLM prices" c={diff.prices} testId="diff-prices" />
      {diff.codemode && (
        <div data-testid="diff-codemode">
          <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-zinc-500">Code Mode</h3>
          <p>
            <Badge tone="amber">changed</Badge> {codemodeLabel(diff.codemode.from)} ⇒ {codemodeLabel(diff.codemode.to)}
          </p>
        </div>
      )}
      <ul className="space-y-0.5 text-xs text-zinc-700">
        <Count label="API tokens" c={diff.tokens} />
        <Count label="Users" c={diff.users} />
        <Count label="Teams" c={diff.teams} />
      </ul>
    </div>
  );
}
