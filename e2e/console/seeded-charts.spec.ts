/**
 * The console's charts on seeded data (the demo console: `npm run demo`, a month of events, shadow
 * findings, budgets): each page that shows a chart draws it with data (SVG marks of non-zero size),
 * not an empty state, for the whole company and for one team.
 */
import { expect, test, type Page } from "@playwright/test";
import { adminApi, DEMO_CONSOLE, expectChartWithData, signInToDemo } from "@/testing/e2e/fixtures";

test.use({ baseURL: DEMO_CONSOLE, viewport: { width: 1440, height: 900 } });

test.beforeEach(async ({ page }) => {
  await signInToDemo(page);
});

test("Overview, Usage, Budgets, Audit, Portal and Shadow show the seeded month", async ({ page }) => {
  await test.step("Overview: the console's activity, calls of the last 24 hours, the configuration in force", async () => {
    await page.goto("/");
    await expectChartWithData(page.getByTestId("activity-chart"));
    expect(figure(await page.getByTestId("tally-mcp").locator("p").nth(1).innerText())).toBeGreaterThan(0);
    await expect(page.getByTestId("needs-config")).toContainText("v1");
  });

  await test.step("Usage: the daily chart, the Operations chart and their tables", async () => {
    await page.goto("/usage");
    await expectChartWithData(page.getByTestId("usage-daily-chart"));
    await expectChartWithData(page.getByTestId("operations-chart"));
    await expect(page.getByTestId("ops-tool-row").first()).toBeVisible();
    await expect(page.getByTestId("ops-denial-row").first()).toBeVisible();
    await expect(page.getByTestId("usage-server-row").filter({ hasText: "everything" })).toBeVisible();
    await expect(page.getByTestId("usage-model-row").first()).toBeVisible();
  });

  await test.step("Budgets: the teams' spend against their budgets", async () => {
    await page.goto("/budgets");
    const payments = page.getByRole("progressbar", { name: "Payments monthly spend: spend against limit" });
    await expect(payments).toBeVisible();
    // The seeded month ends now: in the first hours of a UTC month this month's spend may still be nothing.
    const now = new Date();
    if (now.getUTCDate() === 1 && now.getUTCHours() < 12) return;
    // The demo sets the Payments budget at 88 % of what the team spent this month.
    await expect(payments).toHaveAttribute("data-level", "warning");
    expect(Number(await payments.getAttribute("aria-valuenow"))).toBeGreaterThanOrEqual(80);
    // Platform's tokens: far below a limit of two billion, but spent.
    const platform = page.getByTestId("budget-card").filter({ hasText: "Platform monthly tokens" }).getByTestId("budget-spent");
    expect(figure((await platform.innerText()).split(" of ")[0]!)).toBeGreaterThan(0);
  });

  await test.step("Audit: a first page of calls and an older one", async () => {
    await page.goto("/audit");
    await expect(page.getByTestId("event-row")).toHaveCount(50);
    await expect(page.getByRole("link", { name: "Older →" })).toBeVisible();
  });

  await test.step("Portal: the published configuration and the last call", async () => {
    await page.goto("/portal");
    await expect(page.getByTestId("latest-version")).toHaveText("v1");
    await expect(page.getByTestId("last-event")).not.toHaveText("no calls yet");
  });

  await test.step("Shadow: new servers per day, findings by state, top users and hosts", async () => {
    await page.goto("/shadow");
    for (const chart of ["shadow-chart-new", "shadow-chart-states", "shadow-chart-users", "shadow-chart-hosts"]) await expectChartWithData(page.getByTestId(chart));
  });
});

test("Usage for one team: the team filter is in the URL and the charts show that team's share", async ({ page }) => {
  const { teams } = await adminApi<{ teams: { id: string; slug: string }[] }>("GET", "/teams", undefined, DEMO_CONSOLE);
  const payments = teams.find((t) => t.slug === "payments")!;
  await page.goto("/usage");
  const companyCalls = await mcpCalls(page);
  await page.getByLabel("Team").selectOption({ label: "payments" });
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL((url) => url.pathname === "/usage" && url.searchParams.get("teamId") === payments.id);
  await expect(page.getByLabel("Team")).toHaveValue(payments.id);
  await expectChartWithData(page.getByTestId("usage-daily-chart"));
  const teamCalls = await mcpCalls(page);
  expect(teamCalls).toBeGreaterThan(0);
  expect(teamCalls).toBeLessThan(companyCalls);
  // The LLM table by team names only that team.
  await expect(page.getByTestId("usage-team-row")).toHaveCount(1);
  await expect(page.getByTestId("usage-team-row")).toContainText("payments");
});

/** A figure as the console prints it ("1,234"). */
const figure = (text: string) => Number(text.replace(/[^0-9]/g, ""));

/** The Usage page's "MCP calls" figure (the first of its stats). */
async function mcpCalls(page: Page): Promise<number> {
  const label = page.locator("p", { hasText: /^MCP calls$/ }).first();
  return figure(await label.locator("xpath=following-sibling::p[1]").innerText());
}
