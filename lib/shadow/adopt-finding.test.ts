import { desc } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { scanReports } from "@/db/schema";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { BOOTSTRAP_ACTOR, type Actor } from "@/lib/auth/actor";
import type { Ctx } from "@/lib/context";
import { ForbiddenError, NotFoundError, ValidationError } from "@/lib/errors";
import { registerServer } from "@/lib/servers/register-server";
import { makeUser } from "@/testing/users";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { assertNoSecrets } from "@core/laptop-scan/report";
import { parseConfig } from "@core/laptop-scan/parse";
import { adoptFinding } from "./adopt-finding";
import { approveFinding } from "./approve-finding";
import { ingestScanReport } from "./ingest-scan";
import { getFinding } from "./queries";

const uniq = () => Math.random().toString(36).slice(2, 8);
const GITHUB_TOKEN = "ghp_Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa98";
const PAT = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz";
const CONFIG = "/Users/dana/Library/Application Support/Claude/claude_desktop_config.json";

/** A scan report of one laptop whose Claude Desktop config runs these servers, redacted as the scan CLI does. */
function laptopScan(device: string, mcpServers: Record<string, unknown>, scannedAt = new Date().toISOString()) {
  const { servers } = parseConfig({ client: "claude-desktop", path: CONFIG, format: "mcpServers" }, JSON.stringify({ mcpServers }));
  return {
    device: { name: device, os: "darwin", user: "dana" },
    scannedAt,
    files: [{ client: "claude-desktop", path: CONFIG, found: servers.length }],
    servers,
    redactionReport: { envValues: 0, headerValues: 0, args: 0, urlParts: 0 },
  };
}

describe.each(testDatabases())("adopting a stdio finding on $name", (database) => {
  const { db } = useTestDatabase(database);
  let security: Actor;
  let member: Actor;
  let viewer: Actor;
  beforeAll(async () => {
    security = await makeUser(db, "security");
    member = await makeUser(db, "member");
    viewer = await makeUser(db, "viewer");
  });
  const as = (actor: Actor): Ctx => ({ db, actor });

  it("gives the bridge command for each configuration the scans reported, secrets as placeholders, and the prefilled registration", async () => {
    const pkg = `@acme/github-mcp-${uniq()}`;
    const first = await ingestScanReport(
      as(security),
      laptopScan("DANA-MBP", { github: { command: "npx", args: ["-y", pkg, "--token", GITHUB_TOKEN, "--repo", "acme/My Repo"], env: { GITHUB_PERSONAL_ACCESS_TOKEN: PAT, GITHUB_HOST: "github.acme.test" } } }, "2026-12-01T09:00:00.000Z"),
    );
    const id = first.findings[0]!.id;
    // A second laptop runs the same package another way (another version, no token flag): one finding, two configurations.
    await ingestScanReport(as(security), laptopScan("ERIK-XPS", { gh: { command: "npx", args: [`${pkg}@2.0.0`] } }, "2026-12-02T09:00:00.000Z"));

    const adoption = await adoptFinding(as(security), id);
    expect(adoption.findingId).toBe(id);
    expect(adoption.configurations).toHaveLength(2);
    // Newest scan first.
    const [erik, dana] = adoption.configurations;
    expect(erik).toMatchObject({ name: "gh", slug: "gh", bridge: `npx portcullis bridge --name gh -- npx ${pkg}@2.0.0`, env: [], placeholders: [], seenOn: { device: "ERIK-XPS" } });
    expect(dana).toMatchObject({
      name: "github",
      slug: "github",
      url: "http://127.0.0.1:8790/mcp",
      env: ["GITHUB_PERSONAL_ACCESS_TOKEN", "GITHUB_HOST"],
      setup: ["export GITHUB_PERSONAL_ACCESS_TOKEN='<GITHUB_PERSONAL_ACCESS_TOKEN>'", "export GITHUB_HOST='<GITHUB_HOST>'"],
      bridge: `npx portcullis bridge --name github -- npx -y ${pkg} --token '<TOKEN>' --repo 'acme/My Repo'`,
      newServer: "npx portcullis new-server github",
      seenOn: { device: "DANA-MBP", client: "claude-desktop", configPath: CONFIG, scannedAt: "2026-12-01T09:00:00.000Z" },
    });
    assertNoSecrets(adoption, [GITHUB_TOKEN, PAT, "github.acme.test"]);

    const params = new URLSearchParams(dana!.requestUrl.slice("/servers/new?".length));
    expect(dana!.requestUrl.startsWith("/servers/new?")).toBe(true);
    expect(Object.fromEntries(params)).toMatchObject({ name: "github", slug: "github", url: "http://127.0.0.1:8790/mcp", finding: id });
    expect(params.get("description")).toContain(`npx -y ${pkg} --token '<TOKEN>'`);
    expect(params.get("justification")).toContain(id);
    expect(params.get("justification")).toContain("2 laptops");
    // Adopt changes nothing: the finding stays open until a server is registered from the request.
    expect(await getFinding(as(security), id)).toMatchObject({ state: "new", resolution: null, serverId: null });
  });

  it("resolves the finding as approved when the server is registered from the adopted request", async () => {
    const upstream = await startMutableServer({ port: 0 });
    try {
      const { findings } = await ingestScanReport(as(security), laptopScan("LAPTOP-9", { notes: { command: "uvx", args: [`notes-mcp-${uniq()}`] } }));
      const id = findings[0]!.id;
      const [plan] = (await adoptFinding(as(security), id)).configurations;
      const params = new URLSearchParams(plan!.requestUrl.slice("/servers/new?".length));
      // No bridge runs in this test: the same request, sent to a real MCP server standing in for it.
      const server = await registerServer(as(security), {
        name: params.get("name")!,
        slug: `${params.get("slug")!}-${uniq()}`,
        url: upstream.url,
        description: params.get("description")!,
        justification: params.get("justification")!,
        findingId: params.get("finding")!,
      });
      expect(await getFinding(as(security), id)).toMatchObject({ state: "resolved", resolution: "approved", serverId: server.id });
    } finally {
      await upstream.close();
    }
  });

  it("redacts again a report that carries secrets (one not made by the scan CLI): neither the finding nor its adoption shows them", async () => {
    const report = laptopScan("LAPTOP-RAW", {});
    report.servers = [
      { client: "claude-desktop", configPath: CONFIG, name: "raw", transport: "stdio", command: "node", args: [`/opt/raw-mcp-${uniq()}/server.js`, `--api-key=${GITHUB_TOKEN}`, `https://bot:${PAT}@git.acme.test/x`], envNames: [], headerNames: [], redactions: [] },
    ] as typeof report.servers;
    const id = (await ingestScanReport(as(member), report)).findings[0]!.id;
    const [stored] = await db.select().from(scanReports).orderBy(desc(scanReports.createdAt)).limit(1);
    assertNoSecrets(stored!.report, [GITHUB_TOKEN, PAT]);
    assertNoSecrets(await getFinding(as(security), id), [GITHUB_TOKEN, PAT]);
    const [plan] = (await adoptFinding(as(security), id)).configurations;
    expect(plan!.bridge).toMatch(/'--api-key=<API_KEY>' 'https:\/\/<URL_CREDENTIALS>@git\.acme\.test\/x'$/);
  });

  it("refuses remote findings (Approve registers those), unknown ids, and callers who may not triage", async () => {
    const { findings } = await ingestScanReport(as(BOOTSTRAP_ACTOR), laptopScan("LAPTOP-R", { remote: { url: `https://mcp-${uniq()}.remote.example/mcp` } }));
    await expect(adoptFinding(as(security), findings[0]!.id)).rejects.toBeInstanceOf(ValidationError);
    await expect(adoptFinding(as(security), crypto.randomUUID())).rejects.toBeInstanceOf(NotFoundError);
    const stdio = (await ingestScanReport(as(BOOTSTRAP_ACTOR), laptopScan("LAPTOP-S", { s: { command: "npx", args: [`s-mcp-${uniq()}`] } }))).findings[0]!.id;
    // Approve still refuses a stdio finding, and now says where its Adopt is.
    await expect(approveFinding(as(security), stdio)).rejects.toThrow(/adoption/);
    for (const actor of [viewer, member]) await expect(adoptFinding(as(actor), stdio)).rejects.toBeInstanceOf(ForbiddenError);
  });
});
