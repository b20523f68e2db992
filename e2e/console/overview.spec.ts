/**
 * The Overview as each persona sees it: an admin finds what needs them now (a server waiting for
 * review appears in the count, the configuration in force after a publish) and getting-started steps
 * that follow what was done (the publish step ticks); a member sees only their own steps, their own
 * calls and no shadow-MCP findings. Other specs share the console, so counts are compared before and
 * after, never assumed; the server requested here is rejected at the end.
 */
import { expect, test, type Page } from "@playwright/test";
import { adminApi as api, FIXTURE_MCP_ORIGIN, signInWithOidc } from "@/testing/e2e/fixtures";

const badgeOf = async (page: Page, title: string) => Number((await page.locator("section").filter({ has: page.getByRole("heading", { name: title, exact: true }) }).locator("header span").first().innerText()).replace(/,/g, ""));

test("an admin sees what needs them now and steps that follow what was done; a member sees only their own", async ({ browser }) => {
  test.setTimeout(120_000);
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signInWithOidc(admin, "alice", "/");
  await expect(admin.getByRole("heading", { name: "Overview" })).toBeVisible();
  await expect(admin.getByTestId("needs-last-24h")).toBeVisible();
  await expect(admin.getByTestId("needs-findings")).toBeVisible();
  const pendingBefore = await badgeOf(admin, "Servers waiting for review");

  // A request waits for review: the count goes up by one.
  const slug = `ovw${Date.now().toString(36)}`;
  const server = await api<{ id: string; name: string }>("POST", "/servers", { name: `Overview ${slug}`, slug, url: `${FIXTURE_MCP_ORIGIN}/mcp`, justification: "overview spec" });
  try {
    // A publish: the step ticks and the configuration in force names its version.
    const published = await api<{ version: number }>("POST", "/config/publish", {});
    await admin.reload();
    expect(await badgeOf(admin, "Servers waiting for review")).toBe(pendingBefore + 1);
    await expect(admin.getByTestId("needs-config")).toContainText(`v${published.version}`);
    await expect(admin.getByTestId("needs-config")).toContainText(/published (less than a minute|\d+ minutes?) ago/);
    const steps = admin.getByTestId("getting-started");
    await expect(steps.locator('[data-step="publish"]')).toHaveAttribute("data-done", "true");
    await expect(steps.locator('[data-step="register"]')).toHaveAttribute("data-done", "true");
    await expect(steps).not.toContainText("coming next");
    await admin.screenshot({ path: test.info().outputPath("overview-admin.png"), fullPage: true });

    // A member: their own steps only, no findings, their own calls.
    const memberContext = await browser.newContext();
    const member = await memberContext.newPage();
    await signInWithOidc(member, "mallory", "/");
    await expect(member.getByRole("heading", { name: "Overview" })).toBeVisible();
    await expect(member.getByText("What needs you now: your requests, your budgets and your own calls.")).toBeVisible();
    await expect(member.getByRole("heading", { name: "Your calls in the last 24 hours" })).toBeVisible();
    await expect(member.getByTestId("needs-findings")).toHaveCount(0);
    const memberSteps = member.getByTestId("getting-started").locator("[data-step]");
    await expect(memberSteps).toHaveCount(4);
    expect(await memberSteps.evaluateAll((items) => items.map((i) => i.getAttribute("data-step")))).toEqual(["sign-in", "request", "connect", "token"]);
    // Someone else's request is not the member's to see here.
    await expect(member.getByTestId("needs-reviews")).not.toContainText(server.name);
    await member.screenshot({ path: test.info().outputPath("overview-member.png"), fullPage: true });
    await memberContext.close();
  } finally {
    await api("POST", `/servers/${server.id}/reject`, { reason: "overview spec done" });
    await adminContext.close();
  }
});
