/**
 * A screenshot of every console page (testing/e2e/pages.ts) as the admin sees it on seeded data (the
 * demo console), full page at 1440×900, kept as an artifact of the run: test-results/<this spec's
 * test>/<page>.png, attached to the test's report. Each page answers without an error, and every SVG
 * chart it draws shows data.
 */
import { expect, test } from "@playwright/test";
import { PAGES } from "@/testing/e2e/pages";
import { adminApi, chartMarks, DEMO_CONSOLE, signInToDemo } from "@/testing/e2e/fixtures";

test.use({ baseURL: DEMO_CONSOLE, viewport: { width: 1440, height: 900 } });

interface Ids {
  server: string;
  pendingServer: string;
  finding: string;
  /** A laptop's stdio server (the demo's findings come from a traffic log: remote ones, which have nothing to adopt). */
  stdioFinding: string;
  block: string;
}

const BLOCK_REASON = "screenshots of seeded pages";
const CONFIG_PATH = "/Users/dana/Library/Application Support/Claude/claude_desktop_config.json";

let ids: Ids | undefined;

/**
 * The seeded records behind the pages with an [id]: the approved and the pending server, the busiest
 * finding and a block-list entry of it (made once, logging), and a laptop scan's stdio finding (the
 * same report again finds the same one).
 */
async function seededIds(): Promise<Ids> {
  if (ids) return ids;
  const api = <T,>(method: string, path: string, body?: unknown) => adminApi<T>(method, path, body, DEMO_CONSOLE);
  const { servers } = await api<{ servers: { id: string; slug: string }[] }>("GET", "/servers");
  const { findings } = await api<{ findings: { id: string; url: string; requests: number }[] }>("GET", "/shadow/findings?limit=20&sort=requests&order=desc");
  const finding = findings[0]!;
  const { entries } = await api<{ entries: { id: string; reason: string }[] }>("GET", "/shadow/blocklist");
  const block = entries.find((e) => e.reason === BLOCK_REASON) ?? (await api<{ id: string }>("POST", "/shadow/blocklist", { url: finding.url, reason: BLOCK_REASON, mode: "log" }));
  const scan = await api<{ findings: { id: string; key: string }[] }>("POST", "/shadow/scans", {
    device: { name: "DANA-MBP", os: "darwin", user: "dana" },
    scannedAt: new Date().toISOString(),
    files: [{ client: "claude-desktop", path: CONFIG_PATH, found: 1 }],
    servers: [
      { client: "claude-desktop", configPath: CONFIG_PATH, name: "github", transport: "stdio", command: "npx", args: ["-y", "@acme/github-mcp"], envNames: ["GITHUB_PERSONAL_ACCESS_TOKEN"], headerNames: [], redactions: [] },
    ],
    redactionReport: { envValues: 0, headerValues: 0, args: 0, urlParts: 0 },
  });
  ids = {
    server: servers.find((s) => s.slug === "everything")!.id,
    pendingServer: servers.find((s) => s.slug === "everything-staging")!.id,
    finding: finding.id,
    stdioFinding: scan.findings.find((f) => f.key === "stdio:npm:@acme/github-mcp")!.id,
    block: block.id,
  };
  return ids;
}

function pathOf(page: string, seeded: Ids): string {
  if (page.startsWith("/servers/[id]/review")) return `/servers/${seeded.pendingServer}/review`;
  if (page.startsWith("/servers/[id]")) return page.replace("[id]", seeded.server);
  if (page.startsWith("/shadow/blocks/[id]")) return page.replace("[id]", seeded.block);
  if (page === "/shadow/[id]/adopt") return `/shadow/${seeded.stdioFinding}/adopt`;
  return page.replace("[id]", seeded.finding);
}

for (const path of Object.keys(PAGES)) {
  test(`screenshot of ${path}`, async ({ page }, testInfo) => {
    const seeded = await seededIds();
    await signInToDemo(page);
    const response = await page.goto(pathOf(path, seeded));
    expect(response?.status(), `${path} answers`).toBeLessThan(400);
    await expect(page.locator("h1").first()).toBeVisible();
    await expect(page.getByText(/Application error|This page couldn.t load|Something went wrong/)).toHaveCount(0);
    // Every SVG chart on the page is drawn with data.
    const charts = page.locator(".recharts-wrapper");
    for (let i = 0; i < (await charts.count()); i++) {
      await expect.poll(() => chartMarks(charts.nth(i)), { message: `${path}: chart ${i + 1} has marks of non-zero size` }).toBeGreaterThan(0);
    }
    if (path === "/shadow/blocks/[id]") await expect(page.getByTestId("traffic-per-day")).toBeVisible();
    const file = testInfo.outputPath(`${path === "/" ? "overview" : path.slice(1).replaceAll("/", "-").replace(/[[\]]/g, "")}.png`);
    await page.screenshot({ path: file, fullPage: true });
    await testInfo.attach(path, { path: file, contentType: "image/png" });
  });
}
