import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { scanReports, shadowFindingEvents } from "@/db/schema";
import { authorize } from "@/lib/auth/actor";
import type { Ctx } from "@/lib/context";
import { ValidationError } from "@/lib/errors";
import { portalPublicUrl } from "@/lib/config/edge-keys";
import { adoptionPlan, type StdioConfiguration } from "@core/laptop-scan/adopt";
import { ScanReportInput } from "@core/laptop-scan/report";
import { stdioServerIdentity } from "@core/laptop-scan/stdio-identity";
import { count } from "@core/text/count";
import { registrationRequestUrl } from "./approve-finding";
import { loadFinding } from "./queries";
import type { FindingAdoptionOutput } from "./schemas";

/** Scans looked at (newest first) and configurations offered: a server is usually configured one way. */
const SCANS_READ = 20;
const CONFIGURATIONS = 5;

type Seen = FindingAdoptionOutput["configurations"][number]["seenOn"];

/**
 * Adopt a laptop's stdio server: the commands that run it behind the portal (`npx portcullis bridge`,
 * or `new-server` to rewrite it as a hosted Worker), made from the command lines the laptop scans
 * reported for it (lib/core/laptop-scan/adopt.ts: secrets become placeholders), each with the
 * registration request prefilled for the URL the bridge prints. Nothing changes here: registering
 * from that request links the finding and resolves it as approved (linkFindingToServer), as Approve
 * does for a remote server.
 */
export async function adoptFinding(ctx: Ctx, id: string): Promise<FindingAdoptionOutput> {
  authorize(ctx.actor, "shadow.triage");
  const f = await loadFinding(ctx.db, id);
  if (f.kind !== "stdio") throw new ValidationError("Adopt is for local (stdio) servers; a remote server is registered with Approve, by its URL");
  const scanIds = (
    await ctx.db
      .select({ scan: sql<string>`${shadowFindingEvents.details}->>'scan'` })
      .from(shadowFindingEvents)
      .where(and(eq(shadowFindingEvents.findingId, id), inArray(shadowFindingEvents.kind, ["detected", "seen"]), sql`${shadowFindingEvents.details} ? 'scan'`))
      .orderBy(desc(shadowFindingEvents.id))
      .limit(SCANS_READ)
  )
    .map((r) => r.scan)
    .filter((s) => /^[0-9a-f-]{36}$/i.test(s));
  const reports = scanIds.length ? await ctx.db.select().from(scanReports).where(inArray(scanReports.id, scanIds)).orderBy(desc(scanReports.scannedAt)) : [];
  const found = new Map<string, { config: StdioConfiguration; seenOn: Seen }>();
  for (const row of reports) {
    const report = ScanReportInput.safeParse(row.report);
    if (!report.success) continue;
    for (const s of report.data.servers) {
      if (s.transport !== "stdio" || !s.command) continue;
      const args = s.args ?? [];
      const line = [s.command, ...args].join(" ").trim();
      // Keyed by what it launches; findings from before stdio identities by the whole command line.
      if (f.key !== `stdio:${stdioServerIdentity(s.command, args)}` && f.key !== `stdio:${line}`) continue;
      const key = JSON.stringify([s.name, s.command, args, s.envNames]);
      if (found.has(key)) continue;
      found.set(key, { config: { name: s.name, command: s.command, args, envNames: s.envNames }, seenOn: { device: report.data.device.name, client: s.client, configPath: s.configPath, scannedAt: row.scannedAt.toISOString() } });
      if (found.size >= CONFIGURATIONS) break;
    }
    if (found.size >= CONFIGURATIONS) break;
  }
  const portal = portalPublicUrl();
  const laptops = Math.max(1, f.devices.length);
  const configurations = [...found.values()].map(({ config, seenOn }) => {
    const plan = adoptionPlan(config, { portal });
    const requestUrl = registrationRequestUrl({
      url: plan.url,
      host: null,
      names: [plan.name],
      vendor: null,
      slug: plan.slug,
      description: `${plan.name}, a local stdio server (${plan.commandLine}) run behind the portal by npx portcullis bridge`.slice(0, 2000),
      justification: `Adopted from shadow MCP finding ${f.id}: configured on ${count(laptops, "laptop")} (${f.userCount} ${f.userCount === 1 ? "person" : "people"}), moved behind the portal with npx portcullis bridge.`,
      findingId: f.id,
    });
    return { seenOn, ...plan, requestUrl };
  });
  return { findingId: f.id, configurations };
}
