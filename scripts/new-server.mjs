#!/usr/bin/env node
/**
 * `npx portcullis new-server <name> [--dir D] [--owner EMAIL]`: scaffolds an MCP server on Cloudflare Workers that
 * accepts calls through its Portcullis portal only (templates/mcp-server; its README says how to
 * develop and deploy it). The proof verifier is copied from lib/core/proof/verify.ts, the one
 * implementation, into the new project's src/portcullis-proof.ts.
 *
 * Exit codes: 0 made, 1 the folder exists and is not empty, 2 usage.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const template = path.join(root, "templates", "mcp-server");
const USAGE = "usage: npx portcullis new-server <name> [--dir D] [--owner EMAIL]   (name: lowercase letters, digits and hyphens, 2–40 characters)";
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** A registry slug (lib/core/zod/helpers.ts `Slug`): the server's name is its Worker name and its slug at the portal. */
const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

let parsed;
try {
  parsed = parseArgs({ args: process.argv.slice(2), allowPositionals: true, options: { dir: { type: "string" }, owner: { type: "string" }, help: { type: "boolean", short: "h" } } });
} catch (error) {
  console.error(`${error.message}\n${USAGE}`);
  process.exit(2);
}
const [name, ...extra] = parsed.positionals;
if (parsed.values.help || !name || extra.length > 0 || !NAME.test(name) || name.length < 2 || name.length > 40) {
  console.error(USAGE);
  process.exit(parsed.values.help ? 0 : 2);
}
if (parsed.values.owner !== undefined && !EMAIL.test(parsed.values.owner)) {
  console.error(`--owner must be an email address\n${USAGE}`);
  process.exit(2);
}
const dir = path.resolve(parsed.values.dir ?? name);
if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
  console.error(`[new-server] ${dir} exists and is not empty: choose another --dir`);
  process.exit(1);
}

mkdirSync(dir, { recursive: true });
cpSync(template, dir, { recursive: true, filter: (source) => !/[/\\](node_modules|\.wrangler)([/\\]|$)/.test(source) });
for (const file of ["package.json", "wrangler.jsonc", "README.md", "src/index.ts", "src/tools.ts"]) {
  const target = path.join(dir, file);
  writeFileSync(target, readFileSync(target, "utf8").replaceAll("__SERVER_NAME__", name));
}
// Who made it: the person a hosted start (PORTCULLIS_HOSTED_DIR) requests its registration as. --owner, else git's user.email.
const gitEmail = spawnSync("git", ["config", "user.email"], { encoding: "utf8" });
const owner = parsed.values.owner ?? (gitEmail.status === 0 && EMAIL.test(gitEmail.stdout.trim()) ? gitEmail.stdout.trim() : undefined);
if (owner) {
  const pkgFile = path.join(dir, "package.json");
  writeFileSync(pkgFile, `${JSON.stringify({ ...JSON.parse(readFileSync(pkgFile, "utf8")), portcullis: { owner } }, null, 2)}\n`);
}
const verifier = readFileSync(path.join(root, "lib", "core", "proof", "verify.ts"), "utf8");
writeFileSync(path.join(dir, "src", "portcullis-proof.ts"), `// Copied from Portcullis (lib/core/proof/verify.ts) by \`npx portcullis new-server\`: update it from there.\n${verifier}`);

const shown = path.relative(process.cwd(), dir) || ".";
console.log(`[new-server] made ${name} in ${shown}`);
console.log(`  cd ${shown} && npm install && npm test     # the Worker in workerd: no proof → 401, its tool sees the caller`);
console.log(`  npm run dev                                  # on http://localhost:8788/mcp, next to a local portal`);
console.log(`  then register http://localhost:8788/mcp in the console (Servers → Request a server); deploy: see README.md`);
