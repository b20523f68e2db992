/**
 * `npx portcullis new-server`: a server made from the template the repo ships, in a temp folder,
 * type-checks and passes its own tests; built as `wrangler deploy` builds it and run in workerd, it
 * is registered (discovered with the console's proof), approved and published, then called through
 * the portal with the official SDK client on both of the portal's paths (2026-07-28 and a session
 * revision upstream) — its tool sees the caller — and refuses a direct call with 401. Also the
 * command's refusals.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateEdgeSecret } from "@core/edge/secret";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest } from "@/testing/portal";

const repo = process.cwd();
const cli = path.join(repo, "scripts", "portcullis.mjs");
const run = (args: string[], cwd = repo) => spawnSync(process.execPath, [cli, ...args], { cwd, encoding: "utf8" });

describe("npx portcullis new-server", () => {
  let dir: string;
  let project: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "new-server-test-"));
    project = path.join(dir, "weather-tools");
    const made = run(["new-server", "weather-tools", "--dir", project]);
    expect(made.status).toBe(0);
    expect(made.stdout).toContain("made weather-tools");
    // The project's dependencies are the repo's own versions: link them rather than install (offline, fast).
    symlinkSync(path.join(repo, "node_modules"), path.join(project, "node_modules"), "dir");
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("makes the project from the template, with the repo's proof verifier", () => {
    for (const file of ["package.json", "wrangler.jsonc", "tsconfig.json", "README.md", "src/index.ts", "src/tools.ts", "src/portcullis-proof.ts", "test/server.test.ts"]) expect(existsSync(path.join(project, file)), file).toBe(true);
    expect(JSON.parse(readFileSync(path.join(project, "package.json"), "utf8")).name).toBe("weather-tools");
    expect(readFileSync(path.join(project, "wrangler.jsonc"), "utf8")).toContain('"name": "weather-tools"');
    expect(readFileSync(path.join(project, "src", "portcullis-proof.ts"), "utf8")).toContain(readFileSync(path.join(repo, "lib", "core", "proof", "verify.ts"), "utf8"));
    for (const file of ["package.json", "wrangler.jsonc", "README.md", "src/index.ts"]) expect(readFileSync(path.join(project, file), "utf8")).not.toContain("__SERVER_NAME__");
  });

  it("type-checks and passes its own tests", () => {
    const tsc = spawnSync(process.execPath, [path.join(repo, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", project], { encoding: "utf8" });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
    const tests = spawnSync(process.execPath, [path.join(repo, "node_modules", "vitest", "vitest.mjs"), "run", "--reporter=dot"], { cwd: project, encoding: "utf8", timeout: 240_000, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" } });
    expect(tests.stdout + tests.stderr).toMatch(/Tests\s+3 passed \(3\)/);
    expect(tests.status).toBe(0);
  }, 300_000);

  it("refuses a bad name, extra words and a folder that is not empty", () => {
    expect(run(["new-server"]).status).toBe(2);
    expect(run(["new-server", "Weather_Tools"]).status).toBe(2);
    expect(run(["new-server", "a", "b"]).status).toBe(2);
    const taken = path.join(dir, "taken");
    mkdirSync(taken);
    writeFileSync(path.join(taken, "keep.txt"), "mine");
    const refused = run(["new-server", "weather-tools", "--dir", taken]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/exists and is not empty/);
    expect(readFileSync(path.join(taken, "keep.txt"), "utf8")).toBe("mine");
  });

  describe("behind the portal", () => {
    let portal: PortalUnderTest;
    let sink: Awaited<ReturnType<typeof startEventSink>>;
    let worker: { url: string; stop(): Promise<void> };
    let url: string;
    const clients: Client[] = [];

    beforeAll(async () => {
      const edgeSecret = generateEdgeSecret();
      sink = await startEventSink(edgeSecret);
      portal = await startPortal({ consoleUrl: sink.url, edgeSecret });
      // The generated project's own way of running its Worker in workerd (test/run-worker.ts).
      const { runWorker } = (await import(path.join(project, "test", "run-worker.ts"))) as { runWorker: (portalUrl: string) => Promise<typeof worker> };
      worker = await runWorker(portal.origin);
      url = worker.url;
    }, 180_000);

    afterAll(async () => {
      await Promise.allSettled(clients.map((c) => c.close()));
      await Promise.allSettled([worker?.stop(), portal?.stop(), sink?.close()]);
    });

    it("is registered, approved, published and called through the portal; its tool sees the caller", async () => {
      const team = { id: crypto.randomUUID(), slug: "forecasting" };
      const alice = await testUser("alice@acme.test", [team.id]);
      // Registration: the console's discovery carries its own proof (the Worker refuses anything else).
      const server = await approvedServer({ slug: "weather-tools", url, edgeSecret: portal.edgeSecret, proofIssuer: portal.origin });
      expect(server.tools.map((t) => t.name)).toEqual(["greet"]);
      expect((await portal.push(await bundleOf({ servers: [server], users: [alice], teams: [team], rules: [allowRule({ type: "everyone" }, "weather-tools")] }))).status).toBe(200);

      const client = new Client({ name: "new-server-test", version: "1" });
      await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", portal.origin), { requestInit: { headers: { authorization: `Bearer ${alice.token}` } } }));
      clients.push(client);
      const answer = await client.callTool({ name: "weather-tools_greet", arguments: { greeting: "Good morning" } });
      expect(answer.structuredContent).toEqual({ message: "Good morning, alice@acme.test!", caller: { id: alice.id, email: "alice@acme.test", teams: ["forecasting"], kind: "user" } });
      // /mcp took the per-call path (2026-07-28 to the server); /mcp/{slug} keeps a Durable Object whose SDK client speaks a session revision.
      const scoped = new Client({ name: "new-server-test", version: "1" });
      await scoped.connect(new StreamableHTTPClientTransport(new URL("/mcp/weather-tools", portal.origin), { requestInit: { headers: { authorization: `Bearer ${alice.token}` } } }));
      clients.push(scoped);
      expect((await scoped.callTool({ name: "greet", arguments: {} })).structuredContent).toMatchObject({ message: "Hello, alice@acme.test!", caller: { id: alice.id } });
    });

    it("refuses a direct call with 401", async () => {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "greet", arguments: {} } }),
      });
      expect(res.status).toBe(401);
      expect(JSON.stringify(await res.json())).toMatch(/through its Portcullis portal only/);
    });
  });
});
