/**
 * `npm run seed:events -- --count N [--days D]` (scripts/seed-events.mjs): fills the database with a
 * realistic month of audit and usage events (lib/events/synthetic.ts) so every chart has data.
 *
 * The calls are made by the organisation already in the database: its users (with their teams) and
 * its approved servers' enabled tools. Where it has too few people to look like a company, a
 * synthetic one joins (teams and members with stable ids, added once); where no server is approved
 * yet, the calls name servers from a catalogue that are not registered (as a removed server's do).
 * Event ids are random: a second run adds as many events again and never collides.
 */
import { and, asc, desc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "@/db/client";
import { bundleDeployments, memberships, servers, serverTools, users } from "@/db/schema";
import { ValidationError } from "@/lib/errors";
import { fillEvents, insertCompany, syntheticCompany, type SyntheticCompany } from "./synthetic";

/** Below this many active users, a synthetic company joins the seeded events. */
export const MIN_SEED_USERS = 10;
export const MAX_SEED_EVENTS = 100_000_000;

export const SeedEventsInput = z.strictObject({
  count: z.coerce
    .number({ error: "--count must be a whole number of events" })
    .int("--count must be a whole number of events")
    .min(1, "--count must be at least 1")
    .max(MAX_SEED_EVENTS, `--count must be at most ${MAX_SEED_EVENTS.toLocaleString("en")}`),
  days: z.coerce.number({ error: "--days must be a whole number of days" }).int("--days must be a whole number of days").min(1, "--days must be at least 1").max(366, "--days must be at most 366").default(30),
  llmShare: z.number().min(0).max(1).default(0.2),
});
export type SeedEventsInput = z.input<typeof SeedEventsInput>;

export const SEED_EVENTS_USAGE = "usage: npm run seed:events -- --count <events> [--days <days, default 30>]";

/** The command line's words into an input, or a ValidationError that says what is wrong and how to call it. */
export function parseSeedEventsArgs(argv: readonly string[]): z.infer<typeof SeedEventsInput> {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--(count|days)(?:=(.*))?$/.exec(arg);
    if (!match) throw new ValidationError(`unknown argument "${arg}"\n${SEED_EVENTS_USAGE}`);
    const value = match[2] ?? argv[++i];
    if (value === undefined || value === "" || value.startsWith("--")) throw new ValidationError(`--${match[1]} needs a value\n${SEED_EVENTS_USAGE}`);
    values[match[1]!] = value;
  }
  if (values.count === undefined) throw new ValidationError(`--count is required\n${SEED_EVENTS_USAGE}`);
  const parsed = SeedEventsInput.safeParse(values);
  if (!parsed.success) throw new ValidationError(`${parsed.error.issues.map((i) => i.message).join("; ")}\n${SEED_EVENTS_USAGE}`);
  return parsed.data;
}

/** The organisation in the database as a synthetic company: active users (with their teams), approved servers' enabled tools. */
export async function companyFromDatabase(db: Database): Promise<SyntheticCompany> {
  const people = await db.select({ id: users.id, email: users.email }).from(users).where(isNull(users.disabledAt)).orderBy(asc(users.email));
  const teamRows = await db.select({ userId: memberships.userId, teamId: memberships.teamId }).from(memberships).orderBy(asc(memberships.teamId));
  const teamsOf = new Map<string, string[]>();
  for (const m of teamRows) teamsOf.set(m.userId, [...(teamsOf.get(m.userId) ?? []), m.teamId]);
  const toolRows = await db
    .select({ id: servers.id, slug: servers.slug, url: servers.url, tool: serverTools.name })
    .from(servers)
    .innerJoin(serverTools, and(eq(serverTools.serverId, servers.id), eq(serverTools.state, "enabled")))
    .where(eq(servers.status, "approved"))
    .orderBy(asc(servers.slug), asc(serverTools.name));
  const byServer = new Map<string, SyntheticCompany["servers"][number]>();
  for (const r of toolRows) {
    const s = byServer.get(r.id) ?? { id: r.id, slug: r.slug, url: r.url, tools: [] };
    s.tools.push(r.tool);
    byServer.set(r.id, s);
  }
  return { users: people.map((p) => ({ id: p.id, email: p.email, teamIds: teamsOf.get(p.id) ?? [] })), servers: [...byServer.values()] };
}

export interface SeedEventsResult {
  mcp: number;
  llm: number;
  days: string[];
  users: number;
  servers: number;
  /** Whether the synthetic company was added (the database had too few users). */
  addedCompany: boolean;
  /** Whether the calls name catalogue servers (no server is approved with enabled tools). */
  catalogueServers: boolean;
}

export async function seedEvents(db: Database, rawInput: SeedEventsInput, now = new Date(), onDay?: (day: string, filled: number) => void): Promise<SeedEventsResult> {
  const input = SeedEventsInput.parse(rawInput);
  let company = await companyFromDatabase(db);
  const addedCompany = company.users.length < MIN_SEED_USERS;
  const synthetic = syntheticCompany({ teams: 6, users: 200, servers: 12, prefix: "seed" });
  if (addedCompany) {
    await insertCompany(db, synthetic.teams, synthetic.company);
    company = { ...(await companyFromDatabase(db)), servers: company.servers };
  }
  const catalogueServers = company.servers.length === 0;
  if (catalogueServers) company = { ...company, servers: synthetic.company.servers };
  // The events say they were decided under the newest published configuration, as the portal's would.
  const [latest] = await db.select({ version: bundleDeployments.version }).from(bundleDeployments).orderBy(desc(bundleDeployments.version)).limit(1);
  const filled = await fillEvents(db, company, { count: input.count, days: input.days, now, llmShare: input.llmShare, bundleVersion: latest?.version ?? 1, onDay });
  return { ...filled, users: company.users.length, servers: company.servers.length, addedCompany, catalogueServers };
}
