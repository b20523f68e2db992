/**
 * Hosted servers next to the local portal (`npm start` with PORTCULLIS_HOSTED_DIR): projects made by
 * `npx portcullis new-server` in that folder are built as `wrangler deploy` builds them and run in
 * workerd (scripts/lib/hosted-runner.mjs), each on a port it keeps, accepting the portal's proofs
 * only (a direct call gets 401); the console then requests their registration from the list the
 * runner writes — discovered with the console's proof, scanned, pending review with every tool off,
 * marked hosted, requested by the owner the project names — once (a second start registers nothing
 * twice). And the deploy commands the server page shows.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servers, serverTools } from "@/db/schema";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { makeUser } from "@/testing/users";
import { generateEdgeSecret, parseEdgeSecrets } from "@core/edge/secret";
import { CONSOLE_SUBJECT, proofKeySet, signProof } from "@core/proof/sign";
import { PROOF_HEADER, PROOF_JWKS_PATH } from "@core/proof/verify";
import { assignPorts, findHostedProjects, hostedManifestPath, startHostedServers } from "@/scripts/lib/hosted-runner.mjs";
import { discoverServer } from "./discover";
import { hostedDeployCommands, hostedDeployState } from "./hosted-deploy";
import { getServer } from "./queries";
import { registerHostedServers } from "./register-hosted-servers";
import type { Discover } from "./upstream";

const repo = process.cwd();
const INITIALIZE = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "direct", version: "1" } } };

function scaffold(hostedDir: string, name: string, options: { install: boolean; owner?: string }): string {
  const project = path.join(hostedDir, name);
  const made = spawnSync(process.execPath, [path.join(repo, "scripts", "portcullis.mjs"), "new-server", name, "--dir", project, ...(options.owner ? ["--owner", options.owner] : [])], { encoding: "utf8" });
  expect(made.status, made.stderr).toBe(0);
  const pkgFile = path.join(project, "package.json");
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
  // new-server records who made it (--owner, else git's user.email).
  if (options.owner) expect(pkg.portcullis).toEqual({ owner: options.owner });
  writeFileSync(pkgFile, JSON.stringify({ ...pkg, description: `${name}, hosted` }, null, 2));
  // The repo's own dependency versions, linked rather than installed (offline, fast).
  if (options.install) symlinkSync(path.join(repo, "node_modules"), path.join(project, "node_modules"), "dir");
  return project;
}

describe("assignPorts", () => {
  it("keeps each folder's port from one start to the next and gives new folders the lowest free one", () => {
    expect(assignPorts(["/h/a", "/h/b"], {}, 9000)).toEqual({ "/h/a": 9000, "/h/b": 9001 });
    expect(assignPorts(["/h/b", "/h/c"], { "/h/a": 9000, "/h/b": 9001 }, 9000)).toEqual({ "/h/b": 9001, "/h/c": 9000 });
  });
});

describe("hosted deploy commands", () => {
  it("deploy with the portal and the workers.dev URL as variables, the project folder quoted; the state follows the registered URL", () => {
    expect(hostedDeployCommands({ dir: "/home/dana/My Servers/weather-tools", name: "weather-tools", portalUrl: "https://portal.acme.test" })).toEqual([
      "cd '/home/dana/My Servers/weather-tools'",
      "npx wrangler login",
      "npx wrangler deploy --var PORTCULLIS_PORTAL_URL:https://portal.acme.test --var 'PORTCULLIS_SERVER_URL:https://weather-tools.<ACCOUNT_SUBDOMAIN>.workers.dev/mcp'",
    ]);
    expect(hostedDeployState("http://127.0.0.1:8800/mcp")).toBe("local");
    expect(hostedDeployState("https://weather-tools.acme.workers.dev/mcp")).toBe("deployed");
  });
});

describe.each(testDatabases())("hosted servers next to the portal on $name", (database) => {
  const { db } = useTestDatabase(database);
  let dir: string;
  let hostedDir: string;
  let dataDir: string;
  let jwks: Server;
  let portal: string;
  let edgeSecret: string;
  let hosted: Awaited<ReturnType<typeof startHostedServers>>;
  let owner: { userId: string; email: string };
  const log: string[] = [];

  /** Discovery as the console runs it for these servers: with its proof, issued as the portal. */
  const discover: Discover = async (options) =>
    discoverServer({ ...options, proof: async (audience) => ({ [PROOF_HEADER]: await signProof({ issuer: portal, audience, subject: CONSOLE_SUBJECT }, await parseEdgeSecrets(edgeSecret)) }) });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "hosted-servers-test-"));
    hostedDir = path.join(dir, "servers");
    dataDir = path.join(dir, "data");
    mkdirSync(hostedDir);
    edgeSecret = generateEdgeSecret();
    // The portal's published proof keys are all a hosted server needs of it.
    const keys = JSON.stringify(await proofKeySet(await parseEdgeSecrets(edgeSecret)));
    jwks = createServer((req, res) => (req.url === PROOF_JWKS_PATH ? res.writeHead(200, { "content-type": "application/json" }).end(keys) : res.writeHead(404).end()));
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    portal = `http://127.0.0.1:${(jwks.address() as { port: number }).port}`;
    owner = (await makeUser(db, "member")) as typeof owner;
    scaffold(hostedDir, "weather-tools", { install: true, owner: owner.email });
    scaffold(hostedDir, "not-installed", { install: false });
    mkdirSync(path.join(hostedDir, "notes")); // not a scaffolded server
    hosted = await startHostedServers({ dir: hostedDir, portal, dataDir, basePort: 18_800 + Math.floor(Math.random() * 500), log: (line) => log.push(line) });
  }, 240_000);

  afterAll(async () => {
    await hosted?.stop();
    await new Promise((resolve) => jwks?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs each installed project in workerd, accepting the portal's calls only, and lists it for the console", async () => {
    expect(findHostedProjects(hostedDir).map((p) => [p.name, p.ready])).toEqual([
      ["not-installed", false],
      ["weather-tools", true],
    ]);
    expect(hosted.skipped).toEqual([{ name: "not-installed", reason: expect.stringContaining("npm install") }]);
    expect(hosted.servers).toEqual([{ name: "weather-tools", dir: path.join(hostedDir, "weather-tools"), url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/), description: "weather-tools, hosted", owner: owner.email }]);
    // A bad --owner is refused before anything is made.
    const refused = spawnSync(process.execPath, [path.join(repo, "scripts", "portcullis.mjs"), "new-server", "x-tools", "--dir", path.join(dir, "x-tools"), "--owner", "not an email"], { encoding: "utf8" });
    expect([refused.status, existsSync(path.join(dir, "x-tools"))]).toEqual([2, false]);
    expect(JSON.parse(readFileSync(hostedManifestPath(dataDir), "utf8"))).toEqual(hosted.servers);
    expect(log.join("\n")).toContain("not-installed not started");
    const direct = await fetch(hosted.servers[0]!.url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: JSON.stringify(INITIALIZE) });
    expect(direct.status).toBe(401);
  });

  it("requests their registration once, pending review like any server, marked hosted and requested by their owner", async () => {
    const manifest = JSON.parse(readFileSync(hostedManifestPath(dataDir), "utf8"));
    const gone = { name: "gone-server", dir: path.join(hostedDir, "gone-server"), url: "http://127.0.0.1:1/mcp" };
    const first = await registerHostedServers(db, [...manifest, gone], discover);
    expect(first).toEqual([
      { name: "weather-tools", outcome: "registered" },
      { name: "gone-server", outcome: "failed", error: expect.any(String) },
    ]);
    const [row] = await db.select().from(servers).where(eq(servers.slug, "weather-tools"));
    expect(row).toMatchObject({ status: "pending_review", hostedDir: path.join(hostedDir, "weather-tools"), url: hosted.servers[0]!.url, requestedBy: owner.userId, description: "weather-tools, hosted" });
    const tools = await db.select().from(serverTools).where(eq(serverTools.serverId, row!.id));
    expect(tools.map((t) => [t.name, t.state])).toEqual([["greet", "disabled"]]);
    expect(await getServer({ db, actor: { kind: "user", userId: owner.userId, email: owner.email, role: "member", scopes: ["read", "write"] } }, row!.id)).toMatchObject({ hosted: { dir: path.join(hostedDir, "weather-tools") }, status: "pending_review" });
    // The next start lists it again: nothing is registered twice.
    expect(await registerHostedServers(db, manifest, discover)).toEqual([{ name: "weather-tools", outcome: "known" }]);
    await expect(registerHostedServers(db, [{ ...gone, name: "Not A Slug" }], discover)).rejects.toThrow();
  });
});
