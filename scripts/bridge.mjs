#!/usr/bin/env node
/**
 * `npx portcullis bridge [--port P] [--name N] [--portal URL] [--console URL] [--host H] [--public-url URL] -- <command> [args…]`
 *
 * Runs a local stdio MCP server behind a Streamable HTTP endpoint that only the portal can call
 * (lib/bridge/bridge.ts; docs/bridge.md), prints its URL and the command that requests its
 * registration, and keeps running (Ctrl-C stops it and its children).
 *
 *   --port        where to listen (default 8790); register the URL it prints
 *   --name        the server's name in the registry (default: from the command)
 *   --portal      the portal whose proofs are accepted (default http://localhost:8787)
 *   --console     the console the registration command goes to (default http://localhost:3000)
 *   --host        the address to listen on (default 127.0.0.1: this machine only)
 *   --public-url  the URL the portal reaches the bridge at, when not http://<host>:<port>/mcp
 *
 * Exit codes: 0 stopped, 1 the command does not answer MCP or the port is taken, 2 usage.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { importTypeScript } from "./lib/load-ts.mjs";

const USAGE = "usage: npx portcullis bridge [--port P] [--name N] [--portal URL] [--console URL] [--host H] [--public-url URL] -- <command> [args…]";

const cut = process.argv.indexOf("--", 2);
const own = cut < 0 ? process.argv.slice(2) : process.argv.slice(2, cut);
const command = cut < 0 ? [] : process.argv.slice(cut + 1);
let values;
try {
  ({ values } = parseArgs({
    args: own,
    options: {
      port: { type: "string", default: "8790" },
      name: { type: "string" },
      portal: { type: "string", default: "http://localhost:8787" },
      console: { type: "string", default: "http://localhost:3000" },
      host: { type: "string", default: "127.0.0.1" },
      "public-url": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (error) {
  console.error(`${error.message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const port = Number(values.port);
if (command.length === 0 || !Number.isInteger(port) || port < 0 || port > 65535 || !URL.canParse(values.portal) || !URL.canParse(values.console) || (values["public-url"] && !URL.canParse(values["public-url"]))) {
  console.error(USAGE);
  process.exit(2);
}

const { startBridge, registrationCommand } = await importTypeScript("lib/bridge/bridge.ts");
let bridge;
try {
  bridge = await startBridge({ command: command[0], args: command.slice(1), portal: values.portal, port, host: values.host, publicUrl: values["public-url"] });
} catch (error) {
  console.error(`[bridge] ${error.message}`);
  process.exit(1);
}
const name = values.name ?? (bridge.server.name && bridge.server.name !== command[0] ? bridge.server.name : path.basename(command.at(-1)));
console.log(`[bridge] ${bridge.server.name} ${bridge.server.version} (${bridge.server.tools.length} tools) is at ${bridge.url}`);
console.log(`[bridge] only the portal at ${values.portal} can call it (every request must carry its Portcullis-Proof); anything else gets 401`);
console.log(`[bridge] register it (it waits for review like any server): Servers → Request a server with that URL, or`);
console.log(`  ${registrationCommand({ consoleUrl: values.console, name, url: bridge.url, command })}`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await bridge.close();
    process.exit(0);
  });
}
