#!/usr/bin/env node
// `npm run seed:events -- --count N [--days D]`: a realistic month of audit and usage events in the
// database DATABASE_URL names, or the embedded one under $PORTCULLIS_DATA_DIR (default .data), which
// is migrated first. The embedded database serves one process at a time: stop the console first
// (a running console's lock is refused). The logic and its tests: lib/events/seed-events.ts.
// Exit codes: 0 seeded, 1 failed, 2 usage.
import { performance } from "node:perf_hooks";
import { importTypeScript } from "./lib/load-ts.mjs";

const { openDatabase, resolveDatabaseTarget, parseSeedEventsArgs, SEED_EVENTS_USAGE, seedEvents, ValidationError } = await importTypeScript("scripts/lib/seed-events-entry.ts");

if (process.argv.slice(2).some((a) => a === "--help" || a === "-h")) {
  console.log(SEED_EVENTS_USAGE);
  process.exit(0);
}

let input;
try {
  input = parseSeedEventsArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof ValidationError)) throw error;
  console.error(`[portcullis] ${error.message}`);
  process.exit(2);
}

let open;
try {
  const target = resolveDatabaseTarget();
  const started = performance.now();
  open = await openDatabase(target);
  const where = target.driver === "pglite" ? `embedded PGlite in ${target.dataDir}` : `${target.driver} (DATABASE_URL)`;
  console.log(`[portcullis] database ready: ${where}, migrated in ${Math.round(performance.now() - started)} ms`);
  const t = performance.now();
  // Progress on one line of a terminal; nothing of it in a log.
  const progress = process.stdout.isTTY ? (day, filled) => process.stdout.write(`\r[portcullis] ${day}: ${filled.toLocaleString("en")} events`) : undefined;
  const result = await seedEvents(open.db, input, new Date(), progress);
  if (progress) process.stdout.write("\n");
  const seconds = (performance.now() - t) / 1000;
  console.log(
    `[portcullis] seeded ${(result.mcp + result.llm).toLocaleString("en")} events (${result.mcp.toLocaleString("en")} MCP, ${result.llm.toLocaleString("en")} LLM) ` +
      `over ${result.days.length} days (${result.days[0]} to ${result.days.at(-1)}) in ${seconds.toFixed(1)} s, by ${result.users} users on ${result.servers} servers`,
  );
  if (result.addedCompany) console.log("[portcullis] the database had few users: a synthetic company (6 teams, 200 members @example.com) joined");
  if (result.catalogueServers) console.log("[portcullis] no server is approved yet: the calls name catalogue servers (github, jira, slack…) that are not registered");
} catch (error) {
  console.error(`[portcullis] seeding failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await open?.close();
}
