/**
 * End to end: `node scripts/scan.mjs` as a child process against the fixture homes, checking that
 * every planted server is reported and no planted secret leaves the machine (stdout, stderr, the
 * body POSTed to the console, or what the console's real route stored as findings).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { scanReports, shadowFindings } from "@/db/schema";
import { makeUserToken } from "@/testing/users";
import { assertNoSecrets, ScanReportInput, type ScanReport } from "@core/laptop-scan/report";

const ROOT = path.resolve(import.meta.dirname, "..");
const FIXTURES = path.join(ROOT, "testing/fixtures/mcp-configs");
const expected = JSON.parse(readFileSync(path.join(FIXTURES, "expected.json"), "utf8")) as {
  secrets: Record<string, string>;
  servers: Record<"linux" | "darwin" | "project", [string, string, string][]>;
};
const SECRETS = Object.values(expected.secrets);

function runScan(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // A clean environment: nothing of the test machine's own config dirs leaks into the scan.
    const env = { NODE_ENV: "test" as const, PATH: process.env.PATH ?? "", HOME: path.join(FIXTURES, "home-linux") };
    execFile(process.execPath, ["scripts/scan.mjs", ...args], { cwd: ROOT, env, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

const scanArgs = (layout: "linux" | "darwin") => ["--platform", layout, "--home", path.join(FIXTURES, `home-${layout}`), "--project", path.join(FIXTURES, "project")];
const triples = (report: ScanReport) => report.servers.map((s) => `${s.client} ${s.name} ${s.transport}`).sort();
const expectedTriples = (layout: "linux" | "darwin") => [...expected.servers[layout], ...expected.servers.project].map((t) => t.join(" ")).sort();

describe.each(["linux", "darwin"] as const)("scan --json of the %s home", (layout) => {
  it("reports every fixture server and no secret value", async () => {
    const { code, stdout, stderr } = await runScan(["--json", ...scanArgs(layout)]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const report = ScanReportInput.parse(JSON.parse(stdout));
    expect(triples(report)).toEqual(expectedTriples(layout));
    expect(report.files.every((f) => f.error === undefined && f.found > 0 === report.servers.some((s) => s.configPath === f.path))).toBe(true);
    expect(report.device.name.length).toBeGreaterThan(0);
    assertNoSecrets(stdout, SECRETS);
  });
});

describe("scan of the projects Claude Code knows", () => {
  it("reads .mcp.json and other project configs of every project listed in ~/.claude.json", async () => {
    const home = mkdtempSync(path.join(tmpdir(), "scan-home-"));
    const elsewhere = mkdtempSync(path.join(tmpdir(), "scan-cwd-"));
    try {
      writeFileSync(path.join(home, ".claude.json"), JSON.stringify({ projects: { [path.join(FIXTURES, "project")]: { allowedTools: [] } } }));
      const { code, stdout } = await runScan(["--json", "--platform", "linux", "--home", home, "--project", elsewhere]);
      expect(code).toBe(0);
      const report = ScanReportInput.parse(JSON.parse(stdout));
      expect(triples(report)).toEqual(expected.servers.project.map((t) => t.join(" ")).sort());
      assertNoSecrets(stdout, SECRETS);
    } finally {
      rmSync(home, { recursive: true, force: true });
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

describe("scan as a table", () => {
  it("prints servers and the names of kept-back values, never the values", async () => {
    const { code, stdout } = await runScan(scanArgs("linux"));
    expect(code).toBe(0);
    expect(stdout).toMatch(/cursor\s+stripe\s+stdio\s+npx -y @stripe\/mcp --tools=all --api-key=\[redacted\]/);
    expect(stdout).toContain("env GITHUB_PERSONAL_ACCESS_TOKEN");
    expect(stdout).toContain(`${expectedTriples("linux").length} servers in `);
    expect(stdout).toMatch(/ 1 server\n/);
    assertNoSecrets(stdout, SECRETS);
  });

  it("refuses unknown options and --console without a token", async () => {
    expect((await runScan(["--nope"])).code).toBe(2);
    const noToken = await runScan(["--console", "http://127.0.0.1:9"]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain("--console needs --token");
  });
});

describe("scan --console", () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  async function consoleStub(status: number) {
    const received: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      req.on("end", () => {
        received.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(status, { "content-type": "application/json" }).end(status === 404 ? '{"error":"NOT_FOUND"}' : "{}");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    close = () => server.close();
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
  }

  it("on 404 says the console does not accept scan reports, exits 2, and sent no secret", async () => {
    const stub = await consoleStub(404);
    const { code, stdout, stderr } = await runScan(["--json", "--console", stub.url, "--token", "pcs_test_token", ...scanArgs("linux")]);
    expect(code).toBe(2);
    expect(stderr).toContain("does not accept scan reports");
    expect(stub.received).toHaveLength(1);
    const [request] = stub.received;
    expect(request).toMatchObject({ method: "POST", url: "/api/v1/shadow/scans" });
    expect(request?.headers.authorization).toBe("Bearer pcs_test_token");
    const body = ScanReportInput.parse(JSON.parse(request?.body ?? ""));
    expect(triples(body)).toEqual(expectedTriples("linux"));
    assertNoSecrets(request?.body ?? "", SECRETS);
    assertNoSecrets(stdout + stderr, SECRETS);
  });

  it("on 2xx reports success and exits 0", async () => {
    const stub = await consoleStub(202);
    const { code, stderr } = await runScan(["--console", `${stub.url}/`, "--token", "pcs_test_token", ...scanArgs("darwin")]);
    expect(code).toBe(0);
    expect(stderr).toContain(`Sent ${expectedTriples("darwin").length} servers`);
    assertNoSecrets(stub.received[0]?.body ?? "", SECRETS);
  });
});

describe("scan --console against the console's real route and database", () => {
  const { db } = useTestDatabase(testDatabases()[0]!, { getDb: true });
  let server: Server;
  let url = "";
  let memberToken = "";

  beforeAll(async () => {
    memberToken = await makeUserToken(db, "member");
    const { POST } = await import("@/app/api/v1/shadow/scans/route");
    // Node's HTTP server in front of the App Router handler, as `next start` puts it.
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const headers = new Headers(Object.entries(req.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v] as [string, string]] : [])));
        const answer = await POST(new Request(`http://console.test${req.url}`, { method: req.method, headers, body: Buffer.concat(chunks) }), { params: Promise.resolve({}) });
        res.writeHead(answer.status, { "content-type": "application/json" }).end(await answer.text());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(() => {
    server?.close();
  });

  it("a member's report becomes findings for security, and no planted secret reaches the database", async () => {
    const first = await runScan(["--console", url, "--token", memberToken, ...scanArgs("linux")]);
    expect(first.stderr).toMatch(/Sent \d+ servers to .*: \d+ not approved \(\d+ new findings? for security to triage\)/);
    expect(first.code).toBe(0);
    const findings = await db.select().from(shadowFindings);
    const reports = await db.select().from(scanReports);
    expect(reports).toHaveLength(1);
    expect(findings.some((f) => f.kind === "stdio")).toBe(true);
    expect(findings.every((f) => f.devices.length === 1 && f.seenInScans === 1)).toBe(true);
    // Every configured server is a finding (none is approved in this fresh console), merged by key.
    const keys = new Set(findings.map((f) => f.key));
    expect(keys.size).toBe(findings.length);
    expect(findings.flatMap((f) => f.names).sort()).toEqual(expect.arrayContaining(expected.servers.linux.map(([, name]) => name)));
    assertNoSecrets(JSON.stringify({ findings, reports }), SECRETS);

    // The same laptop again: the same findings, seen twice; nothing new.
    const again = await runScan(["--console", url, "--token", memberToken, ...scanArgs("linux")]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("(0 new findings for security to triage)");
    const after = await db.select().from(shadowFindings);
    expect(after).toHaveLength(findings.length);
    expect(after.every((f) => f.seenInScans === 2)).toBe(true);
  });

  it("refuses a bad token with exit 2 and stores nothing", async () => {
    const before = (await db.select().from(scanReports)).length;
    const { code, stderr } = await runScan(["--console", url, "--token", "pcs_not_a_real_token", ...scanArgs("darwin")]);
    expect(code).toBe(2);
    expect(stderr).toContain("refused the token (HTTP 401)");
    expect(await db.select().from(scanReports)).toHaveLength(before);
  });
});
