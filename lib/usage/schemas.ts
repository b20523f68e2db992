import { z } from "zod";
import { IsoDateTime, Uuid } from "@core/zod/helpers";

/**
 * The Usage page and `GET /api/v1/usage`: what MCP results put into the model's context (the
 * portal's `result_tokens`), and LLM calls, tokens and spend, over a time range.
 */

export const USAGE_DEFAULT_DAYS = 30;
/** A leap year and a day: long enough for "this year", short enough to keep the scans bounded. */
export const USAGE_MAX_DAYS = 366;
/** Up to this many days the series is hourly (from the hourly rollups); beyond, daily. */
export const USAGE_HOURLY_UP_TO_DAYS = 7;
/** Rows of the "most expensive" tables (tools, users). */
export const USAGE_TOP = 20;

const DAY_MS = 86_400_000;
const DATE_ONLY = /^\d{4}-\d\d-\d\d$/;

const Bound = z.union([z.iso.date(), IsoDateTime]);

/** A date-only bound starts at 00:00 UTC that day. */
export const startOfBound = (value: string): Date => new Date(DATE_ONLY.test(value) ? `${value}T00:00:00.000Z` : value);
/** A date-only `to` includes that whole day: the range ends at the next 00:00 UTC. */
export const endOfBound = (value: string): Date => new Date(DATE_ONLY.test(value) ? Date.parse(`${value}T00:00:00.000Z`) + DAY_MS : Date.parse(value));

/** Why a resolved range is refused, or null. */
export function rangeProblem(from: Date, to: Date): { field: "from" | "to"; message: string } | null {
  if (from.getTime() >= to.getTime()) return { field: "from", message: "must be before to" };
  if (to.getTime() - from.getTime() > USAGE_MAX_DAYS * DAY_MS) return { field: "to", message: `the range may span at most ${USAGE_MAX_DAYS} days` };
  return null;
}

const RangeFields = {
  from: Bound.optional().describe(
    `Start of the range (inclusive): a date (00:00 UTC) or an ISO date-time. Default: 00:00 UTC ${USAGE_DEFAULT_DAYS - 1} days before the last day of the range`,
  ),
  to: Bound.optional().describe("End of the range (exclusive); a date includes that whole UTC day. Default: now"),
};
const rangeRefinement = (q: { from?: string; to?: string }, ctx: z.RefinementCtx) => {
  if (!q.from || !q.to) return;
  const problem = rangeProblem(startOfBound(q.from), endOfBound(q.to));
  if (problem) ctx.addIssue({ code: "custom", path: [problem.field], message: problem.message });
};

/** A time range alone (operations: everyone's figures). */
export const RangeQuery = z.object(RangeFields).strict().superRefine(rangeRefinement);

export const UsageQuery = z
  .object({
    ...RangeFields,
    teamId: Uuid.optional().describe("Only calls by members of this team (a team's lead sees the whole team's; other members only their own share)"),
    userId: Uuid.optional().describe("Only this user's calls (security and admins; a lead within the team filtered by; everyone else always gets their own)"),
  })
  .strict()
  .superRefine(rangeRefinement);
export type UsageQuery = z.input<typeof UsageQuery>;

const Count = z.number().int().nonnegative();
const Tokens = Count.describe("o200k tokens");
const MicroUsd = Count.describe("US dollars × 1,000,000");
const ServerSlug = z.string().nullable().describe("Server slug; null for requests the portal answered across servers (initialize, the aggregate tools/list at /mcp)");

export const UsageOutput = z.object({
  range: z.object({
    from: IsoDateTime,
    to: IsoDateTime.describe("Exclusive"),
    days: Count.describe("UTC days the range touches (the entries of llm.daily)"),
  }),
  filters: z.object({
    teamId: Uuid.nullable(),
    userId: Uuid.nullable(),
    ownUsageOnly: z.boolean().describe("True when the caller may see only their own usage (no usage.read-all, and not the lead of the team filtered by): userId is theirs whatever was asked"),
    scope: z
      .enum(["all", "team", "own"])
      .describe("What the figures cover: everyone's (usage.read-all), the filtered team's (its lead: every member's calls, per member and per API key), or the caller's own"),
  }),
  mcp: z.object({
    byServer: z
      .array(z.object({ server: ServerSlug, calls: Count, denied: Count, contextTokens: Tokens.describe("Tokens every result (tool lists included) put into the model's context") }))
      .describe("Every MCP request by server, most context first"),
    byTool: z
      .array(
        z.object({
          server: ServerSlug,
          tool: z.string(),
          calls: Count,
          contextTokens: Tokens,
          avgContextTokens: Tokens.describe("Per call that reported a result, rounded"),
        }),
      )
      .describe(`tools/call by tool, the ${USAGE_TOP} with the most context tokens`),
    listTokens: z
      .array(z.object({ server: ServerSlug, lists: Count, avgTokens: Tokens, lastTokens: Tokens }))
      .describe("tools/list answers by server: what the tool list costs each session that loads it (average, and the latest)"),
    codemode: z
      .object({
        lists: Count.describe("Code Mode tools/list answers"),
        catalogTokens: Tokens.describe("What the plain tool lists would have put into context instead"),
        sentTokens: Tokens.describe("What the Code Mode lists put into context"),
        savedTokens: z.number().int().describe("catalogTokens − sentTokens; negative where the catalogs are smaller than Code Mode's own tools (a server or two of few tools)"),
        executes: Count.describe("search, execute and code calls"),
        innerCalls: Count.describe("Tool calls made by Code Mode code (each also counted in byServer and byTool)"),
        byServer: z.array(z.object({ server: ServerSlug, catalogTokens: Tokens })).describe("The plain list tokens each server's tools would have cost, most first"),
      })
      .describe("Code Mode (docs/codemode.md): the context tokens its lists saved"),
  }),
  llm: z.object({
    byModel: z.array(z.object({ provider: z.string(), model: z.string().nullable(), calls: Count, tokens: Tokens, costMicroUsd: MicroUsd, cacheHits: Count })),
    cache: z
      .object({
        hits: Count.describe("Allowed calls answered from the gateway's response cache (the provider was not called)"),
        hitTokens: Tokens.describe("The tokens of the answers they replayed"),
        hitCostMicroUsd: MicroUsd.describe("Estimated: what those answers cost when the provider gave them (their recorded cost, which spend and budgets count too)"),
        promptCachedTokens: Tokens.describe("Input tokens read from the provider's prompt cache, on calls the provider answered"),
        promptSavedMicroUsd: z
          .number()
          .int()
          .describe("Estimated: those tokens at the input rate less the cached rate, less Anthropic's cache-write premium, by the price table in force (lib/usage/cache-savings.ts); negative when writes cost more"),
        unpricedCachedTokens: Tokens.describe("Prompt-cache tokens of models the price table does not price: left out of promptSavedMicroUsd"),
        savedMicroUsd: z.number().int().describe("Estimated: hitCostMicroUsd + promptSavedMicroUsd"),
      })
      .describe("What caching saved, estimated"),
    byUser: z
      .array(z.object({ userId: Uuid.nullable(), email: z.string().nullable(), calls: Count, tokens: Tokens, costMicroUsd: MicroUsd }))
      .describe(`The ${USAGE_TOP} users with the highest spend`),
    byKey: z
      .array(
        z.object({
          tokenId: Uuid,
          name: z.string().nullable().describe("null when the key was deleted"),
          prefix: z.string().nullable().describe("The key's public prefix, as the API tokens page shows it"),
          userId: Uuid.nullable(),
          email: z.string().nullable(),
          calls: Count,
          tokens: Tokens,
          costMicroUsd: MicroUsd,
        }),
      )
      .describe(`The ${USAGE_TOP} API keys with the highest spend (calls made with a portal token)`),
    byTeam: z
      .array(z.object({ teamId: Uuid, slug: z.string().nullable().describe("null when the team was deleted"), calls: Count, tokens: Tokens, costMicroUsd: MicroUsd }))
      .describe("By each team the caller belonged to at the time of the call: a call counts for every one of its caller's teams"),
    daily: z
      .array(z.object({ day: z.iso.date(), mcpCalls: Count, llmCalls: Count, llmTokens: Tokens, costMicroUsd: MicroUsd }))
      .describe("Every UTC day of the range, oldest first, zero-filled"),
  }),
  series: z
    .object({
      grain: z
        .enum(["hour", "day"])
        .describe(`hour for ranges up to ${USAGE_HOURLY_UP_TO_DAYS} days (everyone's from the hourly rollups, one user's from their events), except a whole team's (its rollups are daily); day beyond`),
      buckets: z
        .array(
          z.object({
            bucket: IsoDateTime.describe("Start of the hour or UTC day"),
            mcpCalls: Count.describe("Every MCP request, denied ones included"),
            mcpDenied: Count.describe("MCP requests the portal refused"),
            llmCalls: Count.describe("Every LLM call, blocked ones included"),
            llmBlocked: Count.describe("LLM calls the portal refused (budgets and rate limits answer 429, policies 403): no tokens, no spend"),
            llmTokens: Tokens.describe("Of allowed calls"),
            costMicroUsd: MicroUsd.describe("Of allowed calls"),
          }),
        )
        .describe("Every hour or day of the range, oldest first, zero-filled"),
    })
    .describe("The range over time"),
});
export type UsageOutput = z.infer<typeof UsageOutput>;
export type DailyUsage = UsageOutput["llm"]["daily"][number];
export type UsageSeries = UsageOutput["series"];
