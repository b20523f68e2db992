import { Live } from "../live";
import type { Metadata } from "next";
import Link from "next/link";
import { DailyUsageChart, SpendChart } from "@/components/usage/daily-usage-chart";
import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { Table, Td } from "@/components/ui/table";
import { can } from "@/lib/auth/actor";
import { requirePage } from "@/lib/auth/page";
import { listTeams, teamsLedBy } from "@/lib/teams/queries";
import { formatAmount, formatCount, formatMicroUsd, formatMs, formatUtc } from "@core/text/format";
import { UsageQuery, type UsageOutput } from "@/lib/usage/schemas";
import { getUsage } from "@/lib/usage/usage";
import { getOperations } from "@/lib/usage/operations";
import { OperationsChart } from "@/components/usage/operations-chart";
import { BurnDownChart } from "@/components/budgets/burn-down-chart";
import { getBudgetBurnDowns } from "@/lib/budgets/queries";
import { auditHref, type ViewFilters } from "@/lib/audit/schemas";

export const metadata: Metadata = { title: "Usage" };

type SearchParams = Record<string, string | string[] | undefined>;

const PRESETS = [1, 7, 30, 90] as const;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

const one = (value: string | string[] | undefined) => (typeof value === "string" && value.trim() !== "" ? value.trim() : undefined);

interface Filters {
  days: number;
  /** The last 24 hours (whole hours, the current one included) instead of days from 00:00 UTC. */
  last24h?: boolean;
  teamId?: string;
  userId?: string;
}

function hrefFor(f: Filters): string {
  const q = new URLSearchParams();
  if (f.last24h) q.set("hours", "24");
  else if (f.days !== 30) q.set("days", String(f.days));
  if (f.teamId) q.set("teamId", f.teamId);
  if (f.userId) q.set("userId", f.userId);
  const text = q.toString();
  return text ? `/usage?${text}` : "/usage";
}

/** An estimate to the cent: "≈ $0.24", "< $0.01". */
const estimatedUsd = (micro: number) => (micro === 0 ? "$0" : micro < 10_000 ? "< $0.01" : `≈ ${formatAmount("usd", Math.round(micro / 10_000) / 100)}`);

/** Requests the portal answered across servers (the aggregate tool list at /mcp) have no server. */
const serverLabel = (server: string | null) => server ?? "all servers (/mcp)";

function ContextBar({ value, max }: { value: number; max: number }) {
  const percent = max > 0 ? Math.max(1, Math.round((value / max) * 100)) : 0;
  return (
    <div className="h-1.5 w-24 overflow-hidden rounded-full bg-zinc-100" aria-hidden>
      <div className="h-full rounded-full bg-indigo-500" style={{ width: `${value > 0 ? percent : 0}%` }} />
    </div>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <Card>
      <p className="text-xs uppercase tracking-wide text-zinc-500">{label}</p>
      <p className="mt-1 text-2xl font-semibold tabular-nums">{value}</p>
    </Card>
  );
}

function serverRows(usage: UsageOutput) {
  const lists = new Map(usage.mcp.listTokens.map((l) => [l.server, l]));
  const rows = usage.mcp.byServer.map((s) => ({ ...s, list: lists.get(s.server) }));
  return { rows, max: Math.max(0, ...rows.map((r) => r.contextTokens)) };
}

export default async function UsagePage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const ctx = await requirePage("usage.read");
  const sp = await searchParams;
  const seesAll = can(ctx.actor, "usage.read-all");
  // A team's lead sees that team's usage (per member and per key); lib/usage/usage.ts decides again.
  const led = seesAll ? [] : await teamsLedBy(ctx.db, ctx.actor.userId);
  const askedTeam = one(sp.teamId);
  const leadsAsked = led.some((t) => t.id === askedTeam);
  const last24h = one(sp.hours) === "24";
  const filters: Filters = {
    days: last24h ? 1 : (PRESETS.find((d) => String(d) === one(sp.days)) ?? 30),
    last24h,
    teamId: seesAll || leadsAsked ? askedTeam : undefined,
    userId: seesAll || leadsAsked ? one(sp.userId) : undefined,
  };
  // Presets end now and start at 00:00 UTC, so "7 days" is seven whole bars in the daily chart.
  const now = new Date();
  // The last 24 hours: the current hour and the 23 before it, so the hourly chart has 24 whole bars.
  const from = last24h
    ? new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS - 23 * HOUR_MS).toISOString()
    : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - (filters.days - 1) * DAY_MS).toISOString().slice(0, 10);
  const parsed = UsageQuery.safeParse({ from, teamId: filters.teamId, userId: filters.userId });
  const problem = parsed.success ? null : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  const runsPortal = can(ctx.actor, "config.read");
  const [usage, teams, ops, burnDowns] = await Promise.all([
    getUsage(ctx, parsed.success ? parsed.data : { from }, now),
    seesAll ? listTeams(ctx) : led,
    // Everyone's operations, for those who run the portal, when the page shows everyone's usage.
    runsPortal && !filters.teamId && !filters.userId ? getOperations(ctx, { from }, now) : null,
    // A team's budgets against their limits, when the page shows a team (those the caller may see).
    filters.teamId ? getBudgetBurnDowns(ctx, now) : [],
  ]);
  const teamBudgets = burnDowns.filter((b) => b.teamId === filters.teamId);
  // Drill-down to a user or a team: whoever sees more than their own.
  const drills = usage.filters.scope !== "own";
  const teamSlug = usage.filters.teamId ? (teams.find((t) => t.id === usage.filters.teamId)?.slug ?? usage.filters.teamId) : null;

  const { rows: servers, max: maxContext } = serverRows(usage);
  const totals = usage.llm.daily.reduce(
    (t, d) => ({ mcpCalls: t.mcpCalls + d.mcpCalls, llmTokens: t.llmTokens + d.llmTokens, cost: t.cost + d.costMicroUsd }),
    { mcpCalls: 0, llmTokens: 0, cost: 0 },
  );
  const contextTokens = usage.mcp.byServer.reduce((sum, s) => sum + s.contextTokens, 0);
  // Figures link to the calls they count, over the same range and scope: everyone may read the Audit of
  // what their Usage shows (lib/audit/event-scope.ts: their own calls, their led teams', or everyone's).
  const auditScope: ViewFilters | undefined = { from: usage.range.from, to: usage.range.to, ...(usage.filters.userId ? { user: usage.filters.userId } : {}), ...(usage.filters.teamId ? { team: usage.filters.teamId } : {}) };
  const toAudit = (extra: ViewFilters, text: string) =>
    auditScope ? (
      <Link className="text-indigo-700 hover:underline" href={auditHref({ ...auditScope, ...extra })}>
        {text}
      </Link>
    ) : (
      text
    );
  const filteredUser = usage.filters.userId && usage.filters.scope !== "own" ? (usage.llm.byUser.find((u) => u.userId === usage.filters.userId)?.email ?? usage.filters.userId) : null;

  return (
    <div className="space-y-6">
      <PageHeader
        title="Usage"
        description={
          <>
            {usage.filters.scope === "own" ? "Your own usage" : usage.filters.scope === "team" ? <>Usage of the team {teamSlug}, which you lead</> : "Usage across the company"}: what MCP results put into the model&apos;s context, and LLM calls, tokens and spend through the
            gateway. {formatUtc(usage.range.from)} to {formatUtc(usage.range.to)}.
          </>
        }
        actions={<Live ctx={ctx} />}
      />

      <div className="flex flex-wrap items-center gap-4">
        <nav aria-label="Range" className="inline-flex overflow-hidden rounded-md border border-zinc-300 text-sm">
          {PRESETS.flatMap((d) => {
            const preset = (key: string, target: Filters, current: boolean, text: string) => (
              <Link
                key={key}
                href={hrefFor(target)}
                aria-current={current ? "page" : undefined}
                className={`px-3 py-1.5 ${current ? "bg-indigo-600 text-white" : "bg-white text-zinc-700 hover:bg-zinc-50"}`}
              >
                {text}
              </Link>
            );
            const days = preset(String(d), { ...filters, days: d, last24h: false }, !filters.last24h && filters.days === d, d === 1 ? "Today" : `${d} days`);
            // "24 hours" sits between Today and 7 days.
            return d === 1 ? [days, preset("24h", { ...filters, days: 1, last24h: true }, !!filters.last24h, "24 hours")] : [days];
          })}
        </nav>
        {teams.length > 0 && (
          <form method="get" action="/usage" className="flex items-center gap-2 text-sm">
            {filters.last24h ? <input type="hidden" name="hours" value="24" /> : filters.days !== 30 && <input type="hidden" name="days" value={filters.days} />}
            {filters.userId && <input type="hidden" name="userId" value={filters.userId} />}
            <label htmlFor="usage-team" className="text-zinc-600">
              Team
            </label>
            <select id="usage-team" name="teamId" defaultValue={filters.teamId ?? ""} className="rounded-md border border-zinc-300 px-2 py-1 text-sm" data-testid="usage-team-select">
              <option value="">{seesAll ? "All teams" : "Just me"}</option>
              {teams.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.slug}
                </option>
              ))}
            </select>
            <Button type="submit" variant="secondary">
              Apply
            </Button>
          </form>
        )}
        {filteredUser && (
          <p className="text-sm text-zinc-600">
            User <span className="font-medium">{filteredUser}</span> ·{" "}
            <Link className="text-indigo-700 hover:underline" href={hrefFor({ ...filters, userId: undefined })}>
              everyone
            </Link>
          </p>
        )}
      </div>

      {problem && (
        <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          Ignored invalid filters: {problem}
        </p>
      )}

      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <Stat label="MCP calls" value={formatCount(totals.mcpCalls)} />
        <Stat label="Context tokens from MCP" value={formatCount(contextTokens)} />
        <Stat label="LLM tokens" value={formatCount(totals.llmTokens)} />
        <Stat label="LLM spend" value={formatMicroUsd(totals.cost)} />
      </div>

      {teamBudgets.length > 0 && (
        <Card
          title={`Budgets of ${teamSlug}`}
          description="Spend in each budget's current period against its limit, with the alert thresholds and the rate so far projected to the period's end. Details on the Budgets page."
        >
          <div className="grid gap-6 lg:grid-cols-2" data-testid="usage-team-budgets">
            {teamBudgets.map((b) => (
              <div key={b.budgetId}>
                <h3 className="text-sm font-semibold text-zinc-900">
                  <Link className="hover:underline" href="/budgets">
                    {b.name}
                  </Link>
                </h3>
                <BurnDownChart data={b.burnDown} metric={b.metric} name={b.name} />
              </div>
            ))}
          </div>
        </Card>
      )}

      {ops && (
        <Card
          title="Operations"
          description={`Every MCP call per ${ops.grain} (UTC): succeeded, errors (the upstream failed or the tool reported an error), denied by the portal, and calls that a block-list entry in log mode would block. The tables: tool calls with p50 and p95 of the time spent waiting for the upstream, denials by reason, and LLM calls by model with those the provider or the portal answered 429.`}
        >
          <OperationsChart data={ops.mcp.series} grain={ops.grain} />
          <div className="mt-4 grid gap-6 lg:grid-cols-3">
            <div className="lg:col-span-2">
              <Table head={["Server", "Tool", "Calls", "Errors", "Denied", "p50 ms", "p95 ms"]} empty="No tool calls in this range.">
                {ops.mcp.byTool.map((t) => (
                  <tr key={`${t.server}/${t.tool}`} data-testid="ops-tool-row">
                    <Td className="font-mono text-xs">{serverLabel(t.server)}</Td>
                    <Td className="font-mono text-xs">{t.tool}</Td>
                    <Td className="tabular-nums">{formatCount(t.calls)}</Td>
                    <Td className={`tabular-nums ${t.errors > 0 ? "text-amber-700" : "text-zinc-500"}`}>{formatCount(t.errors)}</Td>
                    <Td className={`tabular-nums ${t.denied > 0 ? "text-red-700" : "text-zinc-500"}`}>{formatCount(t.denied)}</Td>
                    <Td className="whitespace-nowrap tabular-nums">{formatMs(t.p50Ms)}</Td>
                    <Td className="whitespace-nowrap tabular-nums">{formatMs(t.p95Ms)}</Td>
                  </tr>
                ))}
              </Table>
            </div>
            <div>
              <Table head={["Denied because", "Calls"]} empty="No denials in this range.">
                {ops.mcp.denials.map((d) => (
                  <tr key={d.reason} data-testid="ops-denial-row">
                    <Td className="font-mono text-xs">{d.reason}</Td>
                    <Td className="tabular-nums">{formatCount(d.calls)}</Td>
                  </tr>
                ))}
              </Table>
            </div>
          </div>
          <div className="mt-6">
            <Table head={["LLM model", "Calls", "429", "p50 ms", "p95 ms"]} empty="No LLM calls in this range.">
              {ops.llm.byModel.map((m) => (
                <tr key={`${m.provider}/${m.model}`} data-testid="ops-model-row">
                  <Td className="font-mono text-xs">
                    {m.provider}/{m.model ?? "—"}
                  </Td>
                  <Td className="tabular-nums">{formatCount(m.calls)}</Td>
                  <Td className={`tabular-nums ${m.rateLimited > 0 ? "text-red-700" : "text-zinc-500"}`}>{formatCount(m.rateLimited)}</Td>
                  <Td className="whitespace-nowrap tabular-nums">{formatMs(m.p50Ms)}</Td>
                  <Td className="whitespace-nowrap tabular-nums">{formatMs(m.p95Ms)}</Td>
                </tr>
              ))}
            </Table>
          </div>
        </Card>
      )}

      <Card
        title="Context cost by server"
        description="Tokens (o200k) that each server's results put into the model's context, tool lists included. A tool list is loaded by every session: its size is a cost paid again and again."
      >
        <Table head={["Server", "Calls", "Denied", "Context tokens", "", "Tool list (avg)", "Tool list (latest)"]} empty="No MCP calls in this range.">
          {servers.map((s) => (
            <tr key={s.server ?? ""} data-testid="usage-server-row">
              <Td className={s.server ? "font-mono text-xs" : "text-xs italic text-zinc-600"}>{serverLabel(s.server)}</Td>
              <Td className="tabular-nums">{s.server ? toAudit({ server: s.server }, formatCount(s.calls)) : formatCount(s.calls)}</Td>
              <Td className={`tabular-nums ${s.denied > 0 ? "text-red-700" : "text-zinc-500"}`}>
                {s.server && s.denied > 0 ? toAudit({ server: s.server, decision: "denied" }, formatCount(s.denied)) : formatCount(s.denied)}
              </Td>
              <Td className="tabular-nums">{formatCount(s.contextTokens)}</Td>
              <Td>
                <ContextBar value={s.contextTokens} max={maxContext} />
              </Td>
              <Td className="tabular-nums">{s.list ? formatCount(s.list.avgTokens) : "—"}</Td>
              <Td className="tabular-nums">{s.list ? formatCount(s.list.lastTokens) : "—"}</Td>
            </tr>
          ))}
        </Table>
      </Card>

      {usage.mcp.codemode.lists + usage.mcp.codemode.executes > 0 && (
        <Card
          title="Code Mode"
          description="Clients on Code Mode load search and execute (or one code tool) instead of every tool's JSON schema: the tokens below are what those lists saved, counted against the plain lists they replaced."
        >
          <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4" data-testid="usage-codemode">
            <Stat
              label={usage.mcp.codemode.savedTokens >= 0 ? "Context tokens saved" : "Context tokens added (catalog smaller than Code Mode's tools)"}
              value={formatCount(Math.abs(usage.mcp.codemode.savedTokens))}
            />
            <Stat label="Code Mode tool lists" value={`${formatCount(usage.mcp.codemode.lists)} · ${formatCount(usage.mcp.codemode.sentTokens)} tokens`} />
            <Stat label="search / execute calls" value={formatCount(usage.mcp.codemode.executes)} />
            <Stat label="Tool calls from code" value={formatCount(usage.mcp.codemode.innerCalls)} />
          </div>
          {usage.mcp.codemode.byServer.length > 0 && (
            <div className="mt-4">
              <Table head={["Server", "Plain list tokens not loaded"]} empty="">
                {usage.mcp.codemode.byServer.map((s) => (
                  <tr key={s.server ?? ""} data-testid="usage-codemode-server-row">
                    <Td className="font-mono text-xs">{serverLabel(s.server)}</Td>
                    <Td className="tabular-nums">{formatCount(s.catalogTokens)}</Td>
                  </tr>
                ))}
              </Table>
            </div>
          )}
        </Card>
      )}

      <Card title="Most expensive tools (context tokens)" description="tools/call by tool: the 20 whose results put the most tokens into the model's context.">
        <Table head={["Server", "Tool", "Calls", "Context tokens", "Avg per call"]} empty="No tool calls in this range.">
          {usage.mcp.byTool.map((t) => (
            <tr key={`${t.server}\u0000${t.tool}`} data-testid="usage-tool-row">
              <Td className="font-mono text-xs">{serverLabel(t.server)}</Td>
              <Td className="font-mono text-xs">{t.tool}</Td>
              <Td className="tabular-nums">{toAudit({ ...(t.server ? { server: t.server } : {}), tool: t.tool, method: "tools/call" }, formatCount(t.calls))}</Td>
              <Td className="tabular-nums">{formatCount(t.contextTokens)}</Td>
              <Td className="tabular-nums">{formatCount(t.avgContextTokens)}</Td>
            </tr>
          ))}
        </Table>
      </Card>

      <Card title="LLM spend by model" description="Calls through the gateway. Tokens and spend count allowed calls, as budgets do; cache hits are answers served from the gateway's cache.">
        <Table head={["Provider", "Model", "Calls", "Tokens", "Cache hits", "Spend"]} empty="No LLM calls in this range.">
          {usage.llm.byModel.map((m) => (
            <tr key={`${m.provider}\u0000${m.model}`} data-testid="usage-model-row">
              <Td className="font-mono text-xs">{m.provider}</Td>
              <Td className="font-mono text-xs">{m.model ?? "—"}</Td>
              <Td className="tabular-nums">{formatCount(m.calls)}</Td>
              <Td className="tabular-nums">{formatCount(m.tokens)}</Td>
              <Td className="tabular-nums">{formatCount(m.cacheHits)}</Td>
              <Td className="tabular-nums">{formatMicroUsd(m.costMicroUsd)}</Td>
            </tr>
          ))}
        </Table>
      </Card>

      {(usage.llm.cache.hits > 0 || usage.llm.cache.promptCachedTokens > 0) && (
        <Card
          title="Cache savings (estimated)"
          description={
            <>
              Calls the gateway answered from its response cache never reached the provider: saved is what those answers cost when first given (spend and budgets still count them). Prompt-cache reads are
              billed at the provider&apos;s cached rate instead of the input rate: saved is the difference at today&apos;s price table, less Anthropic&apos;s cache-write premium.
              {usage.llm.cache.unpricedCachedTokens > 0 && <> {formatCount(usage.llm.cache.unpricedCachedTokens)} cached tokens of unpriced models are left out.</>}
            </>
          }
        >
          <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4" data-testid="usage-cache-savings">
            <Stat
              label={usage.llm.cache.savedMicroUsd >= 0 ? "Estimated saved" : "Estimated extra cost (cache writes)"}
              value={estimatedUsd(Math.abs(usage.llm.cache.savedMicroUsd))}
            />
            <Stat label="Calls answered from cache" value={formatCount(usage.llm.cache.hits)} />
            <Stat label="Tokens not sent to providers" value={formatCount(usage.llm.cache.hitTokens)} />
            <Stat label="Prompt-cache tokens read" value={formatCount(usage.llm.cache.promptCachedTokens)} />
          </div>
        </Card>
      )}

      <div className="grid gap-6 xl:grid-cols-2">
        <Card
          title={usage.series.grain === "hour" ? "Calls per hour" : "Calls per day"}
          description={`MCP and LLM calls per ${usage.series.grain === "hour" ? "hour" : "day"} (UTC), with what the portal refused counted apart: denied MCP calls, and LLM calls blocked by a budget or rate limit (429) or a policy (403).${usage.series.grain === "day" && usage.filters.scope !== "own" && usage.filters.teamId && !usage.filters.userId ? " A team's figures are kept by day." : ""}${auditScope ? ` Click an MCP bar for its calls in the Audit.` : ""}`}
        >
          <DailyUsageChart series={usage.series} auditScope={auditScope} />
        </Card>
        <Card title={usage.series.grain === "hour" ? "LLM tokens and spend per hour" : "LLM tokens and spend per day"} description="Tokens (left axis) and spend in US dollars (right axis) of allowed calls, as budgets count them.">
          <SpendChart series={usage.series} />
        </Card>
      </div>

      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="By team" description="LLM usage by the teams of each caller at the time of the call: a call counts for each of its caller's teams.">
          <Table head={["Team", "Calls", "Tokens", "Spend"]} empty="No LLM calls by team members in this range.">
            {usage.llm.byTeam.map((t) => (
              <tr key={t.teamId} data-testid="usage-team-row">
                <Td className="font-mono text-xs">
                  {seesAll || led.some((l) => l.id === t.teamId) ? (
                    <Link className="text-indigo-700 hover:underline" href={hrefFor({ ...filters, teamId: t.teamId })}>
                      {t.slug ?? "(deleted team)"}
                    </Link>
                  ) : (
                    (t.slug ?? "(deleted team)")
                  )}
                </Td>
                <Td className="tabular-nums">{formatCount(t.calls)}</Td>
                <Td className="tabular-nums">{formatCount(t.tokens)}</Td>
                <Td className="tabular-nums">{formatMicroUsd(t.costMicroUsd)}</Td>
              </tr>
            ))}
          </Table>
        </Card>
        <Card title="By user" description="The 20 users with the highest LLM spend.">
          <Table head={["User", "Calls", "Tokens", "Spend"]} empty="No LLM calls in this range.">
            {usage.llm.byUser.map((u) => (
              <tr key={u.userId ?? ""} data-testid="usage-user-row">
                <Td className="text-xs">
                  {drills && u.userId ? (
                    <Link className="text-indigo-700 hover:underline" href={hrefFor({ ...filters, userId: u.userId })}>
                      {u.email ?? u.userId}
                    </Link>
                  ) : (
                    (u.email ?? u.userId ?? "(no user)")
                  )}
                </Td>
                <Td className="tabular-nums">{formatCount(u.calls)}</Td>
                <Td className="tabular-nums">{formatCount(u.tokens)}</Td>
                <Td className="tabular-nums">{formatMicroUsd(u.costMicroUsd)}</Td>
              </tr>
            ))}
          </Table>
        </Card>
      </div>

      <Card title="By API key" description="LLM calls made with a portal API token rather than a sign-in: the 20 keys with the highest spend, and whose they are.">
        <Table head={["Key", "Owner", "Calls", "Tokens", "Spend"]} empty="No LLM calls with an API key in this range.">
          {usage.llm.byKey.map((k) => (
            <tr key={k.tokenId} data-testid="usage-key-row">
              <Td className="text-xs">
                {k.name ?? "(deleted key)"} {k.prefix && <span className="font-mono text-zinc-500">{k.prefix}…</span>}
              </Td>
              <Td className="text-xs">{k.email ?? k.userId ?? "—"}</Td>
              <Td className="tabular-nums">{formatCount(k.calls)}</Td>
              <Td className="tabular-nums">{formatCount(k.tokens)}</Td>
              <Td className="tabular-nums">{formatMicroUsd(k.costMicroUsd)}</Td>
            </tr>
          ))}
        </Table>
      </Card>
    </div>
  );
}
