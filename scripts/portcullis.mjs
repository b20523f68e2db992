#!/usr/bin/env node
/**
 * `npx portcullis <command>` from a checkout: today the one command is `scan` (scripts/scan.mjs),
 * the laptop scan for MCP client configurations.
 */
const [command, ...rest] = process.argv.slice(2);
if (command !== "scan") {
  console.error(`usage: npx portcullis scan [--json] [--console URL --token pcs_…]${command ? `\nunknown command: ${command}` : ""}`);
  process.exit(2);
}
process.argv = [process.argv[0], process.argv[1], ...rest];
await import("./scan.mjs");
