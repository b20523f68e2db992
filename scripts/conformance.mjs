#!/usr/bin/env node
/**
 * Protocol fidelity: runs every server scenario of the official MCP conformance suite against one
 * URL and prints, per scenario, its status and the checks that failed, warned or were skipped, then
 * `passed N of M`. Run it against testing/servers/conformance-server.mjs directly and through the
 * portal's /mcp/{slug}: the two pass counts must be equal. How a scenario is judged: see
 * scripts/conformance-lib.mjs.
 *
 *   node scripts/conformance.mjs --url http://127.0.0.1:3320/mcp [--json out.json]
 *        [--header "Authorization: Bearer <token>"]... [--scenario <name>]... [--concurrency 2]
 *
 * Exits 0 whatever the results (the caller compares); non-zero only when the run itself broke.
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { formatConformance, runConformance } from "./conformance-lib.mjs";

const USAGE = 'usage: node scripts/conformance.mjs --url <mcp url> [--json out.json] [--header "Name: value"]... [--scenario name]... [--concurrency n]';

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    json: { type: "string" },
    header: { type: "string", multiple: true, default: [] },
    scenario: { type: "string", multiple: true },
    concurrency: { type: "string", default: "2" },
    help: { type: "boolean", short: "h" },
  },
});

if (values.help || !values.url) {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}

const headers = {};
for (const header of values.header) {
  const colon = header.indexOf(":");
  if (colon < 1) {
    console.error(`bad --header ${JSON.stringify(header)}: expected "Name: value"`);
    process.exit(2);
  }
  headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
}

const result = await runConformance(values.url, { headers, scenarios: values.scenario, concurrency: Number(values.concurrency) });
console.log(formatConformance(result));
if (values.json) await writeFile(values.json, `${JSON.stringify(result, null, 2)}\n`);
