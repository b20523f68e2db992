import { and, desc, eq, gte, ilike, isNotNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { z } from "zod";
import { mcpEvents, type McpEventRow } from "@/db/schema";
import { authorize } from "@/lib/auth/actor";
import { IsoDateTime, Uuid } from "@core/zod/helpers";
import type { Ctx } from "@/lib/context";
import { ValidationError } from "@/lib/errors";
import { redactUrl, redactUrlsInText } from "@core/net/redact-url";
import { eventScope, mcpEventsInScope } from "./event-scope";
import { ListEventsQuery, type ListEventsOutput, type McpEventOutput } from "./schemas";

/** `time|id` of the last row of a page, base64url: opaque to callers, exact for the next query. */
export function encodeCursor(time: string, id: string): string {
  return Buffer.from(`${time}|${id}`, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): { time: string; id: string } {
  const [time, id, extra] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  if (extra !== undefined || !IsoDateTime.safeParse(time).success || !Uuid.safeParse(id).success) {
    throw new ValidationError("query.cursor: must be a nextCursor from a previous page", { cursor: "must be a nextCursor from a previous page" });
  }
  return { time: time!, id: id! };
}

const likeEscape = (text: string) => text.replace(/[%_\\]/g, "\\$&");

/**
 * The conditions of a filtered view (the Audit page, its API and its export), without the cursor.
 * Each keeps the query on the partitions' indexes: user id and server slug have their own
 * (x, time, id) index, a denial code the partial index of denials, and every other filter narrows
 * an ordered scan of the (time, id) key over the range's partitions.
 */
export function eventFilters(query: z.output<typeof ListEventsQuery>): SQL[] {
  const conditions: SQL[] = [];
  if (query.user) {
    // A user id walks the (user_id, time, id) index; an email part is a substring match over the range.
    conditions.push(Uuid.safeParse(query.user).success ? eq(mcpEvents.userId, query.user) : ilike(mcpEvents.email, `%${likeEscape(query.user)}%`));
  }
  if (query.team) conditions.push(eq(mcpEvents.teamId, query.team));
  if (query.server) conditions.push(eq(mcpEvents.serverSlug, query.server));
  if (query.tool) conditions.push(or(eq(mcpEvents.tool, query.tool), eq(mcpEvents.prompt, query.tool), eq(mcpEvents.resourceUri, query.tool))!);
  if (query.decision) conditions.push(eq(mcpEvents.decision, query.decision));
  if (query.code) {
    // The same code the rollups count by (portcullis_reason_code, migration 0019); only denials have one.
    conditions.push(eq(mcpEvents.decision, "denied"), sql`portcullis_reason_code(${mcpEvents.decision}, ${mcpEvents.reason}) = ${query.code}`);
  }
  if (query.status) conditions.push(eq(mcpEvents.success, query.status === "ok"));
  if (query.wouldBlock) conditions.push(isNotNull(mcpEvents.blockId), eq(mcpEvents.wouldBlock, true));
  if (query.method) conditions.push(eq(mcpEvents.method, query.method));
  if (query.via) conditions.push(eq(mcpEvents.via, query.via));
  if (query.parent) conditions.push(eq(mcpEvents.parentId, query.parent));
  if (query.from) conditions.push(gte(mcpEvents.time, new Date(query.from).toISOString()));
  if (query.to) conditions.push(lt(mcpEvents.time, new Date(query.to).toISOString()));
  return conditions;
}

/** Keyset: the rows after `after` in the newest-first order. */
export const olderThan = (after: { time: string; id: string }): SQL => sql`(${mcpEvents.time}, ${mcpEvents.id}) < (${after.time}::timestamptz, ${after.id}::uuid)`;

/**
 * The portal's MCP events, newest first (time, then id, so rows with the same time page stably).
 * Keyset pagination on (time, id), never OFFSET: each page costs the same however deep it is. The
 * table is partitioned by day: a `from`/`to` range reads only its days' partitions, and every
 * partition has (time, id) and (user_id | server_slug | decision, time, id) indexes, so a page of
 * the unfiltered log or of one of those filters is an ordered merge of index scans that stops after
 * `limit` rows.
 *
 * Who sees what: lib/audit/event-scope.ts — security and admins every event, anyone else their own
 * calls and those of the teams they lead.
 */
export async function listEvents({ db, actor }: Ctx, input: ListEventsQuery = {}): Promise<ListEventsOutput> {
  authorize(actor, "usage.read");
  const query = ListEventsQuery.parse(input);
  const conditions = eventFilters(query);
  const scope = await eventScope(db, actor);
  const inScope = mcpEventsInScope(scope);
  if (inScope) conditions.push(inScope);
  if (query.cursor) conditions.push(olderThan(decodeCursor(query.cursor)));
  const rows = await db
    .select()
    .from(mcpEvents)
    .where(and(...conditions))
    .orderBy(desc(mcpEvents.time), desc(mcpEvents.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit).map(toOutput);
  const last = page.at(-1);
  return { events: page, nextCursor: rows.length > query.limit && last ? encodeCursor(last.time, last.id) : null, scope: scope.kind === "all" ? "all" : scope.teamIds.length > 0 ? "own-and-teams" : "own" };
}

export function toOutput(row: McpEventRow): McpEventOutput {
  const { receivedAt, time, authMethod, ...rest } = row;
  return {
    ...rest,
    // Portals redact before sending; events from older portals may still carry a server's secret URL.
    serverUrl: rest.serverUrl === null ? null : redactUrl(rest.serverUrl).value,
    error: rest.error === null ? null : redactUrlsInText(rest.error),
    // Ingest stores times with millisecond precision, so this ISO form is exact (and safe in a cursor).
    time: new Date(time).toISOString(),
    authMethod: authMethod === "oauth" || authMethod === "token" ? authMethod : null,
    receivedAt: receivedAt.toISOString(),
  };
}
