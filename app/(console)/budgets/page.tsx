import type { Metadata } from "next";
import Link from "next/link";
import { BudgetBar } from "@/components/budgets/budget-bar";
import { BurnDownChart } from "@/components/budgets/burn-down-chart";
import type { BurnDown } from "@/lib/budgets/burn-down";
import { BudgetEditor } from "@/components/budgets/budget-editor";
import { RateLimitEditor } from "@/components/budgets/rate-limit-editor";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { NameCell, Table, Td } from "@/components/ui/table";
import { can } from "@/lib/auth/actor";
import { requirePage } from "@/lib/auth/page";
import { formatAmount, formatUtc } from "@core/text/format";
import { limitOptions } from "@/lib/budgets/options";
import type { BudgetAlertOutput, BudgetStatusOutput } from "@/lib/budgets/schemas";
import { getBudgetBurnDowns, getBudgetStatus, listBudgetAlerts } from "@/lib/budgets/queries";
import { listRateLimits } from "@/lib/rate-limits/queries";
import { formatWindow } from "@/lib/rate-limits/schemas";
import { DeleteButton, EditDeleteCells, EditLink, EditorCard, PublishLink } from "@/components/ui/row-actions";
import {
  createBudgetAction,
  createRateLimitAction,
  deleteBudgetAction,
  deleteRateLimitAction,
  updateBudgetAction,
  updateRateLimitAction,
} from "./actions";

export const metadata: Metadata = { title: "Budgets" };

const PERIOD_LABEL = { day: "Daily", week: "Weekly", month: "Monthly" } as const;

/** "At this rate: $140.00 by the period's end; the limit is reached 2030-03-16 00:00 UTC." */
function projectionText(metric: BudgetStatusOutput["budget"]["metric"], b: BurnDown): string | null {
  if (b.projected === null || b.now >= b.end) return null;
  const reach = b.limitReachedAt === null ? "" : `; the limit is reached about ${formatUtc(new Date(b.limitReachedAt).toISOString())}`;
  const projected = metric === "tokens" ? Math.round(b.projected) : b.projected;
  return `At this rate: ${formatAmount(metric, projected)} by the period's end (estimated)${reach}.`;
}

function BudgetCard({ status, alerts, canManage, burn }: { status: BudgetStatusOutput; alerts: BudgetAlertOutput[]; canManage: boolean; burn?: BurnDown }) {
  const b = status.budget;
  return (
    <section data-testid="budget-card" className={`rounded-lg border border-zinc-200 bg-white p-4 shadow-xs ${b.enabled ? "" : "opacity-60"}`}>
      <div className="flex items-start justify-between gap-3">
        <div>
          <h3 className="text-sm font-semibold text-zinc-900">{b.name}</h3>
          <p className="font-mono text-xs text-zinc-600">{b.subject}</p>
        </div>
        <div className="flex flex-wrap justify-end gap-1">
          <Badge tone={b.onExceed === "block" ? "red" : "amber"}>{b.onExceed === "block" ? "blocks" : "flags"}</Badge>
          <Badge>{PERIOD_LABEL[b.period]}</Badge>
          {!b.enabled && <Badge>disabled</Badge>}
        </div>
      </div>
      <div className="mt-3">
        <BudgetBar percent={status.percent} label={`${b.name}: spend against limit`} />
      </div>
      <p className="mt-1 text-sm tabular-nums text-zinc-700" data-testid="budget-spent">
        {formatAmount(b.metric, status.spent)} of {formatAmount(b.metric, b.limit)}
      </p>
      <p className="mt-1 text-xs text-zinc-500">
        Period <span className="font-mono">{status.periodKey}</span> · resets {formatUtc(status.resetsAt)} · {status.covers}
      </p>
      {!burn && <p className="mt-3 text-xs text-zinc-500">Spend over time is shown to the people this budget covers, and to security and admins.</p>}
      {burn && (
        <div className="mt-3">
          <BurnDownChart data={burn} metric={b.metric} name={b.name} />
          {projectionText(b.metric, burn) && (
            <p className="mt-1 text-xs text-zinc-600" data-testid="budget-projection">
              {projectionText(b.metric, burn)}
            </p>
          )}
        </div>
      )}
      {alerts.length > 0 && (
        <ul className="mt-2 space-y-0.5 text-xs text-zinc-600" aria-label="Alerts this period">
          {alerts.map((a) => (
            <li key={a.id}>
              {a.threshold}% reached {formatUtc(a.crossedAt)}
              {a.webhookStatus && <span className={a.webhookStatus === "sent" ? "text-emerald-700" : "text-red-700"}> · webhook {a.webhookStatus}</span>}
            </li>
          ))}
        </ul>
      )}
      {canManage && (
        <div className="mt-3 flex items-center gap-3">
          <EditLink href={`/budgets?edit=${b.id}`} />
          <DeleteButton action={deleteBudgetAction} id={b.id} confirm={`Delete budget "${b.name}" and its alerts?`} />
        </div>
      )}
    </section>
  );
}

export default async function BudgetsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const ctx = await requirePage("budgets.read");
  const sp = await searchParams;
  const canManage = can(ctx.actor, "limits.manage");
  const canReadLimits = can(ctx.actor, "limits.read");
  const now = new Date();
  const [status, alerts, rateLimits, options, burnDowns] = await Promise.all([
    getBudgetStatus(ctx, now),
    listBudgetAlerts(ctx, { limit: 200 }),
    canReadLimits ? listRateLimits(ctx) : [],
    canManage ? limitOptions(ctx) : { subjects: [], servers: [] },
    // Spend over time only for the budgets that cover the caller (all for security and admins).
    getBudgetBurnDowns(ctx, now),
  ]);
  const editing = typeof sp.edit === "string" ? status.budgets.find((s) => s.budget.id === sp.edit)?.budget : undefined;
  const editingLimit = typeof sp.editLimit === "string" ? rateLimits.find((r) => r.id === sp.editLimit) : undefined;
  const currentAlerts = (s: BudgetStatusOutput) => alerts.filter((a) => a.budgetId === s.budget.id && a.periodKey === s.periodKey).sort((a, b) => a.threshold - b.threshold);

  return (
    <div className="space-y-6">
      <PageHeader
        title="Budgets"
        description={
          <>
            LLM spend against each budget in its current UTC period, from the calls the portal reported. Changes to budgets and rate limits reach the edge when you <PublishLink />.
          </>
        }
      />

      {status.budgets.length === 0 ? (
        <Card>
          <p className="text-sm text-zinc-500">No budgets yet{canManage ? ": create one below." : "."}</p>
        </Card>
      ) : (
        <div className="grid gap-4 lg:grid-cols-2">
          {status.budgets.map((s) => (
            <BudgetCard key={s.budget.id} status={s} alerts={currentAlerts(s)} canManage={canManage} burn={burnDowns.find((b) => b.budgetId === s.budget.id)?.burnDown} />
          ))}
        </div>
      )}

      {canManage && (
        <EditorCard editing={editing} newTitle="New budget" pageHref="/budgets">
          <BudgetEditor action={editing ? updateBudgetAction : createBudgetAction} budget={editing} subjects={options.subjects} />
        </EditorCard>
      )}

      <Card title="Recent alerts" description="Each threshold (50, 80, 100 %) fires once per budget and period.">
        <Table head={["When", "Budget", "Period", "Threshold", "Spent", "Webhook"]} empty="No alerts yet.">
          {alerts.slice(0, 20).map((a) => (
            <tr key={a.id} data-testid="budget-alert-row">
              <Td className="whitespace-nowrap text-xs">{formatUtc(a.crossedAt)}</Td>
              <Td>{a.budgetName}</Td>
              <Td className="font-mono text-xs">{a.periodKey}</Td>
              <Td>
                <Badge tone={a.threshold >= 100 ? "red" : a.threshold >= 80 ? "amber" : "neutral"}>{a.threshold}%</Badge>
              </Td>
              <Td className="tabular-nums text-xs">
                {formatAmount(a.metric, a.spent)} of {formatAmount(a.metric, a.limit)}
              </Td>
              <Td className="text-xs">{a.webhookStatus ?? "—"}</Td>
            </tr>
          ))}
        </Table>
      </Card>

      {canReadLimits && (
        <Card title="Rate limits" description="Requests per sliding window. Every limit that matches a call applies; the first one exhausted refuses it (429).">
          <Table head={["Name", "Who", "Counted per", "Calls", "Limit", "", ""]} empty="No rate limits yet.">
            {rateLimits.map((r) => (
              <tr key={r.id} data-testid="rate-limit-row" className={r.enabled ? "" : "opacity-50"}>
                <NameCell name={r.name} enabled={r.enabled} />
                <Td className="font-mono text-xs">{r.subject}</Td>
                <Td>{r.per}</Td>
                <Td className="font-mono text-xs">
                  {r.scope}
                  {r.server || r.tool ? ` ${r.server ?? "*"} / ${r.tool ?? "*"}` : ""}
                </Td>
                <Td className="tabular-nums">
                  {r.limit} / {formatWindow(r.window)}
                </Td>
                <EditDeleteCells canManage={canManage} editHref={`/budgets?editLimit=${r.id}#rate-limit-editor`} action={deleteRateLimitAction} id={r.id} confirm={`Delete rate limit "${r.name}"?`} />
              </tr>
            ))}
          </Table>
          {canManage && (
            <div id="rate-limit-editor" className="mt-6 border-t border-zinc-100 pt-4">
              <div className="mb-3 flex items-center justify-between">
                <h3 className="text-sm font-semibold">{editingLimit ? `Edit "${editingLimit.name}"` : "New rate limit"}</h3>
                {editingLimit && (
                  <Link className="text-sm text-indigo-700 hover:underline" href="/budgets">
                    New rate limit instead
                  </Link>
                )}
              </div>
              <RateLimitEditor action={editingLimit ? updateRateLimitAction : createRateLimitAction} rateLimit={editingLimit} subjects={options.subjects} servers={options.servers} />
            </div>
          )}
        </Card>
      )}
    </div>
  );
}
