import { expect, test } from "@playwright/test";
import { FIXTURE_MCP_ORIGIN, signInWithOidc } from "@/testing/e2e/fixtures";

const mutate = (kind: string) => fetch(`${FIXTURE_MCP_ORIGIN}/__fixture/mutate`, { method: "POST", body: JSON.stringify({ kind }) });

test("a member requests a server, an approver approves it with one tool off, and a rug pull is quarantined with a diff", async ({ browser }) => {
  await mutate("reset");
  const slug = `weather-${Date.now().toString(36)}`;

  // The member asks for the server.
  const memberContext = await browser.newContext();
  const member = await memberContext.newPage();
  await signInWithOidc(member, "mallory", "/servers");
  await member.getByRole("link", { name: "Request a server" }).click();
  await expect(member.getByRole("heading", { name: "Request an MCP server" })).toBeVisible();
  await member.getByLabel("Name", { exact: true }).fill("Weather");
  await member.getByLabel("Slug").fill(slug);
  await member.getByLabel("URL").fill(`${FIXTURE_MCP_ORIGIN}/mcp`);
  await member.getByLabel("Why does your team need it?").fill("Forecasts for the on-call team");
  await member.getByRole("button", { name: "Request server" }).click();
  await expect(member).toHaveURL(/\/servers\/[0-9a-f-]{36}$/, { timeout: 30_000 });
  const serverUrl = member.url();
  await expect(member.getByText("pending review").first()).toBeVisible();
  await expect(member.getByTestId("tool-row")).toHaveCount(3);
  await expect(member.getByRole("link", { name: "Review request" })).toHaveCount(0);

  // The approver reviews and approves with delete_station off.
  const approverContext = await browser.newContext();
  const approver = await approverContext.newPage();
  await signInWithOidc(approver, "aaron", new URL(serverUrl).pathname);
  await approver.getByRole("link", { name: "Review request" }).click();
  await approver.getByLabel("Enable delete_station").uncheck();
  await approver.getByLabel("Reason").first().fill("Read-only use is fine");
  await approver.getByRole("button", { name: "Approve with these tools" }).click();
  await expect(approver).toHaveURL(serverUrl);
  await expect(approver.getByText("approved", { exact: true }).first()).toBeVisible();
  const row = (name: string) => approver.getByTestId("tool-row").filter({ hasText: name });
  await expect(row("delete_station")).toContainText("disabled");
  await expect(row("get_weather")).toContainText("enabled");

  // The member sees it approved.
  await member.reload();
  await expect(member.getByText("approved", { exact: true }).first()).toBeVisible();
  await expect(member.getByTestId("timeline")).toContainText("Approved");

  // The upstream changes a description behind everyone's back; a sync quarantines the tool.
  await mutate("description");
  await approver.reload();
  await approver.getByRole("button", { name: "Sync now" }).click();
  await expect(approver.getByTestId("sync-result")).toContainText("quarantined: get_weather");
  await approver.reload();
  await expect(approver.getByTestId("quarantine-banner")).toBeVisible();
  await expect(row("get_weather")).toContainText("quarantined");
  await approver.getByRole("link", { name: "See what changed" }).click();
  await expect(approver.getByTestId("diff-changed-tool")).toContainText("get_weather");
  await expect(approver.getByTestId("diff-add").first()).toContainText("<IMPORTANT>");

  await mutate("reset");
  await memberContext.close();
  await approverContext.close();
});

test("a request for a URL that does not answer says why in words, and what to do", async ({ page }) => {
  await signInWithOidc(page, "mallory", "/servers");
  await page.getByRole("link", { name: "Request a server" }).click();
  await expect(page.getByRole("heading", { name: "Request an MCP server" })).toBeVisible();
  const slug = `nowhere-${Date.now().toString(36)}`;
  const request = async (url: string) => {
    await page.getByLabel("Name", { exact: true }).fill("Nowhere");
    await page.getByLabel("Slug").fill(slug);
    await page.getByLabel("URL").fill(url);
    await page.getByLabel("Why does your team need it?").fill("Checking the error wording");
    await page.getByRole("button", { name: "Request server" }).click();
  };

  // A host name that cannot resolve: named once, with the fix.
  await request("http://no-such-mcp-host.invalid/mcp");
  await expect(page.getByRole("alert").filter({ hasText: "did not resolve" })).toHaveText(
    'The host name "no-such-mcp-host.invalid" did not resolve (DNS lookup failed: ENOTFOUND). Check the URL for a typo, and that the name exists in the DNS the console uses.',
  );

  // A port nothing listens on (9, discard).
  await request("http://127.0.0.1:9/mcp");
  await expect(page.getByRole("alert").filter({ hasText: "connection refused" })).toHaveText(
    "Nothing is listening at 127.0.0.1:9 (connection refused). Check the port in the URL, and that the server is running.",
  );
  await expect(page).toHaveURL(/\/servers\/new/);
});
