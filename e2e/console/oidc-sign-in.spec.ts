import { expect, test } from "@playwright/test";
import { OIDC_CONSOLE, signInWithOidc } from "@/testing/e2e/fixtures";

test.describe("sign-in through the OIDC provider", () => {
  test("an admin signs in, sees teams from IdP groups, creates a token that calls the API, and revokes it", async ({ page, request }) => {
    await page.goto(`${OIDC_CONSOLE}/settings/tokens`);
    await expect(page).toHaveURL(/\/sign-in/);
    await expect(page.getByTestId("local-mode-banner")).toHaveCount(0);

    await signInWithOidc(page, "alice", "/settings/tokens");
    await expect(page).toHaveURL(`${OIDC_CONSOLE}/settings/tokens`);
    await expect(page.getByTestId("current-user")).toHaveText("alice@acme.test");
    await expect(page.getByTestId("current-role")).toHaveText("admin");

    // The IdP's groups claim became teams (OIDC_AUTO_CREATE_TEAMS) with alice as a member.
    await page.getByRole("link", { name: "Teams" }).click();
    const platform = page.locator("section", { has: page.getByTestId("team-name").filter({ hasText: "platform" }) });
    await expect(platform).toContainText("alice@acme.test");
    await expect(platform).toContainText("from IdP");

    await page.getByRole("link", { name: "API tokens" }).click();
    // The Teams page has a "Name" field too: wait until the tokens page has replaced it.
    await expect(page).toHaveURL(`${OIDC_CONSOLE}/settings/tokens`);
    await expect(page.getByRole("heading", { name: "Create an API token" })).toBeVisible();
    await page.getByLabel("Name").fill("e2e laptop");
    await page.getByRole("button", { name: "Create token" }).click();
    const secret = (await page.getByTestId("new-token-secret").textContent())?.trim() ?? "";
    expect(secret).toMatch(/^pcs_[A-Za-z0-9_-]{32}$/);
    await expect(page.getByTestId("token-row").filter({ hasText: "e2e laptop" }).first()).toContainText(secret.slice(0, 12));

    const me = await request.get(`${OIDC_CONSOLE}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } });
    expect(me.status()).toBe(200);
    const body = await me.json();
    expect(body.kind).toBe("token");
    expect(body.role).toBe("admin");
    expect(body.user.email).toBe("alice@acme.test");

    // The secret is never shown again: a reload lists only the prefix.
    await page.reload();
    await expect(page.getByTestId("new-token-secret")).toHaveCount(0);
    expect(await page.content()).not.toContain(secret);

    page.once("dialog", (d) => d.accept());
    await page.getByTestId("token-row").filter({ hasText: "e2e laptop" }).first().getByRole("button", { name: "Revoke" }).click();
    await expect(page.getByTestId("token-row").filter({ hasText: "e2e laptop" })).toHaveCount(0);
    const after = await request.get(`${OIDC_CONSOLE}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } });
    expect(after.status()).toBe(401);

    // Signing out ends the session.
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/sign-in/);
    await page.goto(`${OIDC_CONSOLE}/settings/users`);
    await expect(page).toHaveURL(/\/sign-in/);
  });

  test("a viewer is refused role-restricted pages and sees no admin controls", async ({ page }) => {
    await signInWithOidc(page, "victor");
    await expect(page.getByTestId("current-role")).toHaveText("viewer");
    const users = await page.goto(`${OIDC_CONSOLE}/settings/users`);
    expect(users?.status()).toBe(403);
    await expect(page.getByRole("heading", { name: "You do not have access to this page" })).toBeVisible();

    // The Audit page shows a viewer their own portal calls only: no console changes, even when asked.
    const audit = await page.goto(`${OIDC_CONSOLE}/audit?tab=console`);
    expect(audit?.status()).toBe(200);
    await expect(page.getByText("Your MCP calls through the portal, and those of the teams you lead.")).toBeVisible();
    await expect(page.getByRole("link", { name: "Console changes" })).toHaveCount(0);

    const teams = await page.goto(`${OIDC_CONSOLE}/settings/teams`);
    expect(teams?.status()).toBe(200);
    await expect(page.getByRole("button", { name: "Create team" })).toHaveCount(0);
  });
});
