/**
 * From a chart to the events it counts, on seeded data (the demo console): a click on a day's bar in
 * Usage opens that day's calls in the Audit, a figure of a tool or a server opens its calls, the Audit's
 * filters go into its URL, and the export of a filtered view downloads exactly the rows the figure counted.
 * (e2e/console/audit-explorer.spec.ts filters by a user through the form on a live call; here: team,
 * server, decision on a month of calls.)
 */
import { readFile } from "node:fs/promises";
import { expect, test, type Page } from "@playwright/test";
import { parseCsv } from "@/testing/csv";
import { adminApi, columnTexts, DEMO_CONSOLE, expectChartWithData, signInToDemo } from "@/testing/e2e/fixtures";

test.use({ baseURL: DEMO_CONSOLE, viewport: { width: 1440, height: 900 } });

const DAY_MS = 86_400_000;

interface ExportedEvent {
  time: string;
  teamId: string | null;
  method: string;
  serverSlug: string | null;
  tool: string | null;
  decision: string;
}

test.beforeEach(async ({ page }) => {
  await signInToDemo(page);
});

/** The Audit table's rows and one column of them. */
const rows = (page: Page) => page.getByTestId("event-row");
const column = (page: Page, header: string) => columnTexts(page.locator("table").filter({ has: rows(page).first() }), header, rows(page));
/** Each row's time in full: the cell shows it short (MM-DD hh:mm:ss) with the ISO instant as its title. */
const times = (page: Page) => rows(page).evaluateAll((trs) => trs.map((tr) => tr.querySelector("td [title]")?.getAttribute("title") ?? ""));

/** Clicks the Audit's export link `name` and reads the download. */
async function download(page: Page, name: "CSV" | "NDJSON"): Promise<string> {
  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name, exact: true }).click();
  return readFile((await (await downloading).path())!, "utf8");
}

async function exportedEvents(page: Page): Promise<ExportedEvent[]> {
  return (await download(page, "NDJSON"))
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ExportedEvent);
}

/** A day's MCP bar in the Usage daily chart (the chart's first series; the newest full day, which has calls). */
function mcpDayBar(page: Page) {
  return page.getByTestId("usage-daily-chart").locator(".recharts-bar").first().locator("path").nth(-2);
}

test("a day's bar in Usage opens that day's calls in the Audit, for the company and for one team", async ({ page }) => {
  await page.goto("/usage");
  await expectChartWithData(page.getByTestId("usage-daily-chart"));
  await mcpDayBar(page).click();
  await expect(page).toHaveURL((url) => url.pathname === "/audit");
  const url = new URL(page.url());
  const from = Date.parse(url.searchParams.get("from")!);
  const to = Date.parse(url.searchParams.get("to")!);
  expect(to - from).toBe(DAY_MS);
  expect(new Date(from).toISOString()).toMatch(/T00:00:00\.000Z$/);
  await expect(rows(page).first()).toBeVisible();
  for (const time of await times(page)) {
    const at = Date.parse(time);
    expect(at >= from && at < to, `${time} within the clicked day`).toBe(true);
  }

  // One team's Usage: the bar opens that day's calls of that team only.
  const { teams } = await adminApi<{ teams: { id: string; slug: string }[] }>("GET", "/teams", undefined, DEMO_CONSOLE);
  const payments = teams.find((t) => t.slug === "payments")!;
  await page.goto(`/usage?teamId=${payments.id}`);
  await expectChartWithData(page.getByTestId("usage-daily-chart"));
  await mcpDayBar(page).click();
  await expect(page).toHaveURL((u) => u.pathname === "/audit" && u.searchParams.get("team") === payments.id && u.searchParams.has("from") && u.searchParams.has("to"));
  await expect(page.getByLabel("Team")).toHaveValue(payments.id);
  await expect(rows(page).first()).toBeVisible();
  const events = await exportedEvents(page);
  expect(events.length).toBeGreaterThan(0);
  expect(events.filter((e) => e.teamId !== payments.id)).toEqual([]);
});

test("a tool's calls in Usage open its calls in the Audit, and the export has exactly as many", async ({ page }) => {
  await page.goto("/usage");
  const toolRow = page.getByTestId("usage-tool-row").filter({ hasText: "everything" }).first();
  const [server, tool, calls] = (await toolRow.locator("td").allInnerTexts()).map((t) => t.trim());
  const counted = Number(calls!.replace(/[^0-9]/g, ""));
  expect(counted).toBeGreaterThan(0);
  await toolRow.getByRole("link", { name: calls! }).click();
  await expect(page).toHaveURL((url) => url.pathname === "/audit" && url.searchParams.get("server") === server && url.searchParams.get("tool") === tool && url.searchParams.get("method") === "tools/call");
  await expect(page.getByRole("textbox", { name: "Server" })).toHaveValue(server!);
  await expect(page.getByRole("textbox", { name: "Tool" })).toHaveValue(tool!);
  await expect(rows(page).first()).toBeVisible();
  expect(new Set(await column(page, "Server"))).toEqual(new Set([server]));
  expect(new Set(await column(page, "Tool / prompt / resource"))).toEqual(new Set([tool]));

  // The export of this view: every call the Usage figure counted, and only those.
  const events = await exportedEvents(page);
  expect(events.length).toBe(counted);
  expect(events.filter((e) => e.serverSlug !== server || e.tool !== tool || e.method !== "tools/call")).toEqual([]);
});

test("the Audit's filters go into its URL, the table and the CSV export follow them", async ({ page }) => {
  // A server's denied calls, opened from Usage: the link carries the server, the decision and the range.
  await page.goto("/usage");
  const serverRow = page.getByTestId("usage-server-row").filter({ has: page.getByText("everything", { exact: true }) });
  await serverRow.getByRole("link").nth(1).click();
  await expect(page).toHaveURL((url) => url.pathname === "/audit" && url.searchParams.get("server") === "everything" && url.searchParams.get("decision") === "denied" && url.searchParams.has("from"));
  await expect(page.getByLabel("Decision")).toHaveValue("denied");
  // Every page of the view (Older → until the last), then its export: the same rows, all denied calls to the server.
  let shown = 0;
  for (;;) {
    await expect(rows(page).first()).toBeVisible();
    expect((await column(page, "Decision")).filter((d) => !d.startsWith("denied"))).toEqual([]);
    expect(new Set(await column(page, "Server"))).toEqual(new Set(["everything"]));
    shown += await rows(page).count();
    const older = page.getByRole("link", { name: "Older →" });
    if ((await older.count()) === 0) break;
    await older.click();
    await expect(page).toHaveURL((url) => url.searchParams.has("cursor"));
  }
  // More than one page: the keyset paging is walked too.
  expect(shown).toBeGreaterThan(50);
  await page.getByRole("link", { name: "← Newest" }).click();
  await expect(page).toHaveURL((url) => !url.searchParams.has("cursor") && url.searchParams.get("decision") === "denied");
  const [header, ...lines] = parseCsv(await download(page, "CSV"));
  expect(lines.length).toBe(shown);
  const decision = header!.indexOf("decision");
  const serverSlug = header!.indexOf("serverSlug");
  expect(decision).toBeGreaterThan(-1);
  expect(serverSlug).toBeGreaterThan(-1);
  expect(lines.filter((cells) => cells[decision] !== "denied" || cells[serverSlug] !== "everything")).toEqual([]);

  // Through the form: a team, a server, a decision and a result; the empty fields stay out of the URL.
  const { teams } = await adminApi<{ teams: { id: string; slug: string }[] }>("GET", "/teams", undefined, DEMO_CONSOLE);
  const platform = teams.find((t) => t.slug === "platform")!;
  await page.goto("/audit");
  await page.getByLabel("Team").selectOption({ label: "platform" });
  await page.getByRole("textbox", { name: "Server" }).fill("everything");
  await page.getByLabel("Decision").selectOption("allowed");
  await page.getByLabel("Result").selectOption("ok");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL((url) => url.pathname === "/audit" && url.search === `?${new URLSearchParams({ team: platform.id, server: "everything", decision: "allowed", status: "ok" })}`);
  await expect(rows(page).first()).toBeVisible();
  expect(new Set(await column(page, "Server"))).toEqual(new Set(["everything"]));
  // The Decision column shows the decision and, for an allowed call, its result.
  expect((await column(page, "Decision")).filter((d) => !/^allowed\s*ok/.test(d))).toEqual([]);
  const events = await exportedEvents(page);
  expect(events.length).toBeGreaterThan(0);
  expect(events.filter((e) => e.teamId !== platform.id || e.serverSlug !== "everything" || e.decision !== "allowed")).toEqual([]);
  // A reload keeps the view; Clear drops it.
  await page.reload();
  await expect(page.getByLabel("Team")).toHaveValue(platform.id);
  await expect(page.getByLabel("Result")).toHaveValue("ok");
  await page.getByRole("link", { name: "Clear" }).click();
  await expect(page).toHaveURL((url) => url.pathname === "/audit" && url.search === "");
});
