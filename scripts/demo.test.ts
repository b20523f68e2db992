/**
 * `npm run demo` (scripts/demo.mjs) as a person runs it, stopped after the seed (`--seed-only`): it
 * starts the real server-everything, seeds a data folder of its own once (teams, servers, events,
 * findings in the embedded database there, and a note of what it made), does nothing the second
 * time, and refuses bad arguments with its usage. What the organisation holds in detail:
 * scripts/demo/seed-demo.test.ts.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "@/db/client";
import { mcpEvents, llmEvents, servers, shadowFindings, teams } from "@/db/schema";
import { freePort } from "@/testing/mcp-servers";

const DEMO = path.join(process.cwd(), "scripts", "demo.mjs");

function runDemo(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, output }));
  });
}

describe("npm run demo -- --seed-only", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let first: { code: number | null; output: string };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "portcullis-demo-cli-"));
    env = { ...process.env, PORTCULLIS_DEMO_DATA_DIR: path.join(dir, "demo"), PORTCULLIS_DEMO_MCP_PORT: String(await freePort()), DATABASE_URL: "postgres://ignored.invalid/db" };
    for (const name of ["NODE_ENV", "OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "PORTCULLIS_DATA_DIR", "PORTCULLIS_EDGE_SECRET", "PORTCULLIS_BUNDLE_SIGNING_KEY", "PORTCULLIS_ENCRYPTION_KEYS"]) delete env[name];
    first = await runDemo(["--seed-only", "--events", "2000"], env);
  }, 180_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("seeds its own folder (DATABASE_URL ignored) and says what it made", () => {
    expect(first.code, first.output).toBe(0);
    expect(first.output).toContain("DATABASE_URL is ignored");
    expect(first.output).toMatch(/seeded in \d+ s: 4 teams, \d+ people, servers everything \(approved\) and everything-staging \(pending review\)/);
    const note = JSON.parse(readFileSync(path.join(dir, "demo", "demo.json"), "utf8"));
    expect(note).toMatchObject({ teams: 4, events: 2000, configVersion: 1, servers: { approved: ["everything"], pending: ["everything-staging"] } });
    expect(note.findings).toBeGreaterThan(3);
  });

  it("leaves teams, servers, events and findings in the embedded database there", async () => {
    const open = await openDatabase({ driver: "pglite", dataDir: path.join(dir, "demo", "pglite") });
    try {
      const { db } = open;
      const [t] = await db.select({ n: count() }).from(teams);
      const [approved] = await db.select({ n: count() }).from(servers).where(eq(servers.status, "approved"));
      const [mcp] = await db.select({ n: count() }).from(mcpEvents);
      const [llm] = await db.select({ n: count() }).from(llmEvents);
      const [findings] = await db.select({ n: count() }).from(shadowFindings);
      expect({ teams: t!.n, approved: approved!.n, events: mcp!.n + llm!.n }).toEqual({ teams: 4, approved: 1, events: 2000 });
      expect(findings!.n).toBeGreaterThan(3);
    } finally {
      await open.close();
    }
  });

  it("does nothing the second time", async () => {
    const again = await runDemo(["--seed-only"], env);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toMatch(/already seeded on \d{4}-/);
    expect(again.output).not.toContain("seeding a demo organisation");
  }, 60_000);

  it.each([
    [["--events", "0"], /--events must be a whole number from 1/],
    [["--events", "lots"], /--events must be a whole number from 1/],
    [["--bogus"], /Unknown option '--bogus'/],
  ])("refuses %j with exit code 2 and the usage", async (args, message) => {
    const refused = await runDemo(args, env);
    expect(refused.code).toBe(2);
    expect(refused.output).toMatch(message);
    expect(refused.output).toContain("usage: npm run demo");
  });
});
