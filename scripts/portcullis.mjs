#!/usr/bin/env node
/**
 * `npx portcullis <command>` from a checkout:
 * - `scan` (scripts/scan.mjs): the laptop scan for MCP client configurations;
 * - `bridge` (scripts/bridge.mjs): a local stdio MCP server behind an endpoint only the portal can call;
 * - `new-server` (scripts/new-server.mjs): a new MCP server on Workers that only the portal can call.
 */
const COMMANDS = { scan: "./scan.mjs", bridge: "./bridge.mjs", "new-server": "./new-server.mjs" };
const [command, ...rest] = process.argv.slice(2);
if (!Object.hasOwn(COMMANDS, command ?? "")) {
  console.error(
    `usage: npx portcullis scan [--json] [--console URL --token pcs_…]\n       npx portcullis bridge [--port P] [--name N] -- <command> [args…]\n       npx portcullis new-server <name> [--dir D] [--owner EMAIL]${command ? `\nunknown command: ${command}` : ""}`,
  );
  process.exit(2);
}
process.argv = [process.argv[0], process.argv[1], ...rest];
await import(COMMANDS[command]);
