import { expect, test } from "@playwright/test";
import { OAUTH_MCP_ORIGIN, signInWithOidc } from "@/testing/e2e/fixtures";

test("a member requests an OAuth-protected server: Portcullis registers itself, the member signs in at the provider, discovery uses the token", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInWithOidc(page, "mallory", "/servers/new");
  await expect(page.getByRole("heading", { name: "Request an MCP server" })).toBeVisible();
  const slug = `oauth-${Date.now().toString(36)}`;
  await page.getByLabel("Name", { exact: true }).fill("Protected weather");
  await page.getByLabel("Slug").fill(slug);
  await page.getByLabel("URL").fill(`${OAUTH_MCP_ORIGIN}/mcp`);
  await page.getByLabel("Why does your team need it?").fill("Needs the team's own account");
  await page.getByLabel("Upstream authentication").selectOption("oauth_authorization_code");
  await page.getByRole("button", { name: "Authorize" }).click();

  // The upstream's authorization server (a second, real OIDC provider) asks who signs in.
  await expect(page).toHaveURL(/127\.0\.0\.1:3211\/interaction\//);
  await page.locator('input[name="login"]').fill("mallory");
  await page.getByRole("button", { name: "Sign in" }).click();

  // Back in the console, with what was typed before leaving.
  await expect(page).toHaveURL(/\/servers\/new\?oauthFlow=/);
  await expect(page.getByText("✓ Authorized")).toBeVisible();
  await expect(page.getByLabel("Slug")).toHaveValue(slug);
  await expect(page.getByLabel("Why does your team need it?")).toHaveValue("Needs the team's own account");
  await page.getByRole("button", { name: "Request server" }).click();
  await expect(page).toHaveURL(/\/servers\/[0-9a-f-]{36}$/, { timeout: 30_000 });
  await expect(page.getByTestId("tool-row")).toHaveCount(3);
  await expect(page.getByText("oauth_authorization_code")).toBeVisible();
  await context.close();
});
