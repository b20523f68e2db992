import { and, asc, desc, eq, type SQL } from "drizzle-orm";
import { serverEvents, servers, serverSnapshots, serverTools, teams, users, type Server, type ServerTool } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { authorize } from "../auth/actor";
import { toIso } from "@core/zod/helpers";
import { NotFoundError } from "../errors";
import { requireId } from "../ids";
import { diffTools, type ToolDiff } from "@core/tools/tool-diff";
import type { McpToolDefinition } from "@core/tools/tool-types";
import { highestSeverity, type Finding } from "@core/poisoning/findings";
import { redactUrl, redactUrlsIn, redactUrlsInText } from "@core/net/redact-url";
import type { Ctx } from "../context";
import type { ServerOutput, ToolOutput } from "./schemas";

export function toToolOutput(t: ServerTool): ToolOutput {
  const findings = t.findings as unknown as Finding[];
  return {
    name: t.name,
    state: t.state,
    description: typeof t.definition.description === "string" ? t.definition.description : null,
    hash: t.hash,
    pinnedHash: t.pinnedHash,
    quarantineReason: t.quarantineReason,
    findings,
    highestSeverity: highestSeverity(findings),
    tokens: { json: t.tokensJson, typescript: t.tokensTypescript },
    definition: t.definition,
    approval: t.approval ?? null,
  };
}

const TOOL_ORDER = { quarantined: 0, enabled: 1, disabled: 2, removed: 3 } as const;

/**
 * A server's URLs and texts as anyone may see them: secrets in a URL (a key in the path, `?api_key=`,
 * userinfo) are replaced by `[redacted]` for every role. Only the database and the signed bundle
 * hold the real URL; a search matches what is shown, so it cannot be used to guess a secret.
 */
const shownUrl = (url: string) => redactUrl(url).value;
const shownText = <T extends string | null>(text: T): T => (text === null ? text : (redactUrlsInText(text) as T));

async function toServerOutputs(db: Queryable, rows: Server[], withTools: boolean): Promise<ServerOutput[]> {
  if (rows.length === 0) return [];
  const out: ServerOutput[] = [];
  for (const s of rows) {
    const [tools, [team], [requester], [decider], [snapshot]] = await Promise.all([
      db.select().from(serverTools).where(eq(serverTools.serverId, s.id)).orderBy(asc(serverTools.name)),
      s.ownerTeamId ? db.select({ id: teams.id, name: teams.name }).from(teams).where(eq(teams.id, s.ownerTeamId)) : Promise.resolve([]),
      s.requestedBy ? db.select({ id: users.id, email: users.email }).from(users).where(eq(users.id, s.requestedBy)) : Promise.resolve([]),
      s.decidedBy ? db.select({ email: users.email }).from(users).where(eq(users.id, s.decidedBy)) : Promise.resolve([]),
      s.currentSnapshotId
        ? db
            .select({ serverInfo: serverSnapshots.serverInfo, protocolVersion: serverSnapshots.protocolVersion, json: serverSnapshots.tokensJson, ts: serverSnapshots.tokensTypescript })
            .from(serverSnapshots)
            .where(eq(serverSnapshots.id, s.currentSnapshotId))
        : Promise.resolve([]),
    ]);
    const live = tools.filter((t) => t.state !== "removed");
    const outputs = live.map(toToolOutput);
    out.push({
      id: s.id,
      slug: s.slug,
      name: s.name,
      url: shownUrl(s.url),
      endpointUrl: shownUrl(s.endpointUrl),
      transport: s.transport,
      description: shownText(s.description),
      justification: shownText(s.justification),
      status: s.status,
      ownerTeam: team ?? null,
      requestedBy: requester ?? null,
      auth: { type: s.authType, summary: s.authSummary },
      serverInfo: snapshot?.serverInfo ?? null,
      protocolVersion: snapshot?.protocolVersion ?? null,
      counts: {
        tools: live.length,
        enabled: live.filter((t) => t.state === "enabled").length,
        disabled: live.filter((t) => t.state === "disabled").length,
        quarantined: live.filter((t) => t.state === "quarantined").length,
        highFindings: outputs.filter((t) => t.highestSeverity === "high").length,
      },
      tokens: { json: snapshot?.json ?? 0, typescript: snapshot?.ts ?? 0 },
      lastSyncedAt: toIso(s.lastSyncedAt),
      lastSyncError: shownText(s.lastSyncError),
      decision: { by: decider?.email ?? null, at: toIso(s.decidedAt), reason: shownText(s.decisionReason) },
      hosted: s.hostedDir ? { dir: s.hostedDir } : null,
      createdAt: toIso(s.createdAt),
      ...(withTools ? { tools: [...tools].sort((a, b) => TOOL_ORDER[a.state] - TOOL_ORDER[b.state] || a.name.localeCompare(b.name)).map(toToolOutput) } : {}),
    });
  }
  return out;
}

export async function loadServerRow(db: Queryable, id: string): Promise<Server> {
  requireId(id, "server");
  const [row] = await db.select().from(servers).where(eq(servers.id, id));
  if (!row) throw new NotFoundError("No such server");
  return row;
}

export async function loadServerOutput(db: Queryable, id: string): Promise<ServerOutput> {
  const [out] = await toServerOutputs(db, [await loadServerRow(db, id)], true);
  return out!;
}

export async function listServers({ db, actor }: Ctx, filter: { status?: Server["status"]; q?: string } = {}): Promise<ServerOutput[]> {
  authorize(actor, "servers.read");
  const conditions: SQL[] = [];
  if (filter.status) conditions.push(eq(servers.status, filter.status));
  const rows = await db.select().from(servers).where(and(...conditions)).orderBy(desc(servers.createdAt));
  const q = filter.q?.trim().toLowerCase();
  if (!q) return toServerOutputs(db, rows, false);
  const shown = (s: Server) => [s.name, s.slug, shownUrl(s.url), shownText(s.description) ?? ""];
  return toServerOutputs(db, rows.filter((s) => shown(s).some((text) => text.toLowerCase().includes(q))), false);
}

export async function getServer({ db, actor }: Ctx, id: string): Promise<ServerOutput> {
  authorize(actor, "servers.read");
  return loadServerOutput(db, id);
}

export async function getServerDetail({ db, actor }: Ctx, id: string) {
  authorize(actor, "servers.read");
  const row = await loadServerRow(db, id);
  const [server] = await toServerOutputs(db, [row], true);
  const [snapshot] = row.currentSnapshotId ? await db.select().from(serverSnapshots).where(eq(serverSnapshots.id, row.currentSnapshotId)) : [];
  const timeline = await db.select().from(serverEvents).where(eq(serverEvents.serverId, id)).orderBy(desc(serverEvents.id)).limit(200);
  return {
    server: server!,
    prompts: snapshot?.prompts ?? [],
    resources: snapshot?.resources ?? [],
    resourceTemplates: snapshot?.resourceTemplates ?? [],
    instructions: snapshot?.instructions ?? null,
    capabilities: snapshot?.capabilities ?? {},
    // Rows written before the timeline was redacted on write may still quote a URL whole.
    timeline: timeline.map((e) => ({ id: e.id, kind: e.kind, actor: e.actorLabel, reason: shownText(e.reason), details: redactUrlsIn(e.details), snapshotId: e.snapshotId, at: toIso(e.createdAt) })),
  };
}

/** The difference between two snapshots of a server; by default the last two. */
export async function getSnapshotDiff({ db, actor }: Ctx, serverId: string, options: { from?: string; to?: string } = {}) {
  authorize(actor, "servers.read");
  await loadServerRow(db, serverId);
  const snapshots = await db
    .select({ id: serverSnapshots.id, createdAt: serverSnapshots.createdAt, tools: serverSnapshots.tools })
    .from(serverSnapshots)
    .where(eq(serverSnapshots.serverId, serverId))
    .orderBy(desc(serverSnapshots.createdAt), desc(serverSnapshots.id));
  const to = options.to ? snapshots.find((s) => s.id === options.to) : snapshots[0];
  const from = options.from ? snapshots.find((s) => s.id === options.from) : snapshots[snapshots.indexOf(to!) + 1];
  if (!to) throw new NotFoundError("No such snapshot");
  const diff: ToolDiff = diffTools((from?.tools ?? []) as unknown as McpToolDefinition[], to.tools as unknown as McpToolDefinition[]);
  return {
    from: from ? { id: from.id, at: toIso(from.createdAt) } : null,
    to: { id: to.id, at: toIso(to.createdAt) },
    snapshots: snapshots.map((s) => ({ id: s.id, at: toIso(s.createdAt) })),
    diff,
  };
}
