import { scanReports, shadowFindingEvents, shadowFindings } from "@/db/schema";
import { and, count, eq, gte, inArray, sql } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { actorLabel, authorize, type Actor } from "@/lib/auth/actor";
import { TooManyRequestsError } from "@/lib/errors";
import { recordAudit } from "@/lib/audit/record-audit";
import type { Ctx } from "@/lib/context";
import { ScanReportInput, type ScanReport } from "@core/laptop-scan/report";
import { redactArgs, redactUrl } from "@core/laptop-scan/redact";
import { stdioServerIdentity } from "@core/laptop-scan/stdio-identity";
import { blockTargetOf } from "@core/shadow/blocklist";
import { isShadow } from "@core/shadow/servers";
import { knownVendorEndpoint } from "@core/shadow/detect";
import type { FindingEvidence } from "@/db/schema";
import { mergeSightings, shadowContext, type Sighting } from "./store";
import type { z } from "zod";
import type { ScanIngestOutput } from "./schemas";

type Found = z.infer<typeof ScanReportInput>["servers"][number];

const REMOTE_BRIDGES = /(?:^|[/@\s])(?:mcp-remote|supergateway|mcp-proxy)(?:@[\w.^~-]+)?$/;

/** The remote URL a stdio bridge (`npx mcp-remote https://…`) connects to, if it is one. */
function bridgedUrl(s: Found): string | null {
  if (s.transport !== "stdio" || !s.args) return null;
  if (!s.args.some((a) => REMOTE_BRIDGES.test(a)) && !REMOTE_BRIDGES.test(s.command ?? "")) return null;
  return s.args.find((a) => /^https?:\/\//i.test(a)) ?? null;
}

/**
 * The scan's own redaction (lib/core/laptop-scan/redact.ts), applied again: the CLI redacts on the
 * laptop, but anyone with a token can post a report, and what is stored is shown to security and
 * copied into adoption commands. Idempotent on a report the CLI made.
 */
function redactReport(report: ScanReport): ScanReport {
  return { ...report, servers: report.servers.map((s) => ({ ...s, ...(s.args ? { args: redactArgs(s.args).args } : {}), ...(s.url ? { url: redactUrl(s.url).value } : {}) })) };
}

/** Reports one person (or token) may send in an hour: a laptop scans on demand or daily, not in a loop. */
export const SCAN_REPORTS_PER_HOUR = 60;

async function refuseTooManyReports(db: Queryable, actor: Actor): Promise<void> {
  if (!actor.userId) return;
  const since = new Date(Date.now() - 3_600_000);
  const [row] = await db.select({ n: count() }).from(scanReports).where(and(eq(scanReports.createdBy, actor.userId), gte(scanReports.createdAt, since)));
  if ((row?.n ?? 0) >= SCAN_REPORTS_PER_HOUR) throw new TooManyRequestsError(`At most ${SCAN_REPORTS_PER_HOUR} scan reports an hour per person; try again later`);
}

/**
 * A laptop scan (already redacted by the CLI, validated strictly again here): every configured
 * server that is not approved nor the portal becomes (or adds to) a finding — remote URLs merge
 * with what traffic logs saw of the same server; stdio servers are keyed by the package, image or
 * script they launch (lib/core/laptop-scan/stdio-identity.ts), not by their arguments. Stdio servers never appear in network logs: this is how they are found.
 */
export async function ingestScanReport({ db, actor }: Ctx, rawInput: unknown): Promise<z.infer<typeof ScanIngestOutput>> {
  authorize(actor, "shadow.report-scan");
  const report = redactReport(ScanReportInput.parse(rawInput));
  await refuseTooManyReports(db, actor);
  // Findings name the person the console authenticated; the laptop's own account name is kept on the report only.
  const reporter = actor.email ?? report.device.user;
  const ctxShadow = await shadowContext(db);
  const at = new Date(report.scannedAt);
  const byKey = new Map<string, Sighting>();
  for (const s of report.servers) {
    const remoteUrl = s.transport === "stdio" ? bridgedUrl(s) : (s.url ?? null);
    // A remote (http/sse) entry without a URL names no server: not a local process either.
    if (s.transport !== "stdio" && !remoteUrl) continue;
    const target = remoteUrl ? blockTargetOf(remoteUrl) : null;
    if (remoteUrl && !target) continue;
    if (target && !isShadow(target.origin + target.pathPrefix, ctxShadow)) continue;
    const commandLine = s.transport === "stdio" ? [s.command ?? "", ...(s.args ?? [])].join(" ").trim() : null;
    // One stdio server whatever its arguments (paths, values, versions); each report keeps its own command lines.
    const key = target ? target.origin + target.pathPrefix : `stdio:${stdioServerIdentity(s.command ?? "", s.args ?? [])}`;
    const sample: Record<string, unknown> = { client: s.client, configPath: s.configPath, name: s.name, transport: s.transport, device: report.device.name, user: report.device.user };
    if (s.project) sample.project = s.project;
    if (commandLine) sample.command = commandLine;
    if (s.url) sample.url = s.url;
    if (s.envNames.length) sample.envNames = s.envNames;
    if (s.headerNames.length) sample.headerNames = s.headerNames;
    if (s.redactions.length) sample.redactions = s.redactions;
    const evidence: FindingEvidence = {
      kind: "client-config",
      sentence: `Configured in ${s.client} on ${report.device.name} (${s.configPath}) as "${s.name}"${s.disabled ? ", disabled there" : ""}${target && s.transport === "stdio" ? `, bridged to ${remoteUrl} by a local proxy` : ""}.`,
      weight: 1,
      count: 1,
      sample,
    };
    const have = byKey.get(key);
    if (have) {
      have.names = [...new Set([...have.names, s.name])];
      have.clients[s.client] = [...new Set([...(have.clients[s.client] ?? []), s.configPath])];
      have.evidence[0]!.count++;
      continue;
    }
    byKey.set(key, {
      key,
      kind: target ? "remote" : "stdio",
      url: target ? key : null,
      origin: target?.origin ?? null,
      host: target ? new URL(target.origin).hostname : null,
      command: target ? null : commandLine,
      names: [s.name],
      vendor: target ? (knownVendorEndpoint(new URL(target.origin).hostname, target.pathPrefix)?.vendor ?? null) : null,
      firstSeen: at,
      lastSeen: at,
      requests: 0,
      methods: {},
      tools: {},
      users: [reporter],
      userCount: 1,
      devices: [report.device.name],
      clients: { [s.client]: [s.configPath] },
      evidence: [evidence],
      confidence: null,
      daily: [],
      source: "scan",
    });
  }
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(scanReports)
      .values({
        deviceName: report.device.name,
        deviceUser: report.device.user,
        os: report.device.os,
        scannedAt: at,
        servers: report.servers.length,
        shadowServers: byKey.size,
        report,
        createdBy: actor.userId,
        createdByLabel: actorLabel(actor),
      })
      .returning({ id: scanReports.id });
    await adoptLegacyStdioKeys(tx, actor, [...byKey.keys()]);
    const findings = await mergeSightings(tx, actor, [...byKey.values()], { scan: row!.id, device: report.device.name });
    await recordAudit(tx, actor, { action: "scan.report", targetType: "scan_report", targetId: row!.id, details: { device: report.device.name, servers: report.servers.length, shadowServers: byKey.size } });
    return { id: row!.id, servers: report.servers.length, shadowServers: byKey.size, findings };
  });
}

/** Keys of stdio findings since a3c8084: what the server launches (lib/core/laptop-scan/stdio-identity.ts). */
const IDENTITY_KEY = "^stdio:(npm|pypi|docker|script|bin):";

/**
 * Stdio findings made before stdio identities were keyed by their whole redacted command line
 * (`stdio:npx -y pkg /home/a`). When a scan reports a server whose identity key no finding has yet,
 * the most recently seen of the old findings that launch it takes the new key, so the scan merges
 * into it — its triage, notes and timeline kept — instead of opening a second finding. Other old
 * findings of the same server keep their old keys (left for security to resolve; nothing deleted).
 */
async function adoptLegacyStdioKeys(tx: Queryable, actor: Actor, keys: readonly string[]): Promise<void> {
  const wanted = keys.filter((k) => k.startsWith("stdio:"));
  if (wanted.length === 0) return;
  const legacy = await tx
    .select({ id: shadowFindings.id, key: shadowFindings.key, command: shadowFindings.command, lastSeen: shadowFindings.lastSeen })
    .from(shadowFindings)
    .where(and(eq(shadowFindings.kind, "stdio"), sql`${shadowFindings.key} !~ ${IDENTITY_KEY}`))
    .for("update");
  if (legacy.length === 0) return;
  const taken = new Set((await tx.select({ key: shadowFindings.key }).from(shadowFindings).where(inArray(shadowFindings.key, wanted))).map((r) => r.key));
  const heirs = new Map<string, (typeof legacy)[number]>();
  for (const f of legacy) {
    const [command = "", ...args] = (f.command ?? f.key.slice("stdio:".length)).trim().split(/\s+/);
    const key = `stdio:${stdioServerIdentity(command, args)}`;
    if (!wanted.includes(key) || taken.has(key)) continue;
    const have = heirs.get(key);
    if (!have || f.lastSeen > have.lastSeen) heirs.set(key, f);
  }
  for (const [key, f] of heirs) {
    await tx.update(shadowFindings).set({ key }).where(eq(shadowFindings.id, f.id));
    await tx.insert(shadowFindingEvents).values({ findingId: f.id, kind: "rekeyed", actorId: actor.userId, actorLabel: actorLabel(actor), details: { from: f.key, to: key } });
  }
}
