import { expect, test } from "@playwright/test";
import { LOCAL_CONSOLE, LOCAL_SIGN_IN_CODE, signInLocally } from "@/testing/e2e/fixtures";

test.describe("local mode (no identity provider)", () => {
  test("is labelled, makes the first user admin (with the terminal's sign-in code) and later users members", async ({ browser }) => {
    const firstContext = await browser.newContext();
    const first = await firstContext.newPage();
    await first.goto(`${LOCAL_CONSOLE}/sign-in`);
    await expect(first.getByTestId("local-mode-banner")).toContainText("Local mode");
    // Nobody is admin yet: a wrong code claims nothing.
    await signInLocally(first, "squatter@example.test", "", "AAAA-BBBB-CCCC");
    await expect(first).toHaveURL(/\/sign-in\?error=sign_in_code/);
    await expect(first.getByText("That is not the sign-in code")).toBeVisible();
    // The code as printed, typed in lower case with spaces, is accepted.
    await signInLocally(first, "owner@example.test", "Owner", LOCAL_SIGN_IN_CODE.toLowerCase().replaceAll("-", " "));
    await expect(first).toHaveURL(`${LOCAL_CONSOLE}/`);
    await expect(first.getByTestId("current-role")).toHaveText("admin");
    await expect(first.getByText("Local mode", { exact: true })).toBeVisible();

    const secondContext = await browser.newContext();
    const second = await secondContext.newPage();
    await second.goto(`${LOCAL_CONSOLE}/sign-in`);
    // Once someone is admin, the code is asked of no one.
    await expect(second.getByLabel("Sign-in code")).toHaveCount(0);
    await signInLocally(second, "colleague@example.test");
    await expect(second.getByTestId("current-role")).toHaveText("member");

    // The admin sees both in Settings → Users and can promote the colleague.
    await first.goto(`${LOCAL_CONSOLE}/settings/users`);
    await expect(first.getByTestId("user-row").filter({ hasText: "squatter@example.test" })).toHaveCount(0);
    const row = first.getByTestId("user-row").filter({ hasText: "colleague@example.test" });
    await row.getByLabel("Role of colleague@example.test").selectOption("approver");
    // The select submits on change; the colleague's next page load shows the new role once the action ran.
    await expect(async () => {
      await second.reload();
      await expect(second.getByTestId("current-role")).toHaveText("approver", { timeout: 1_000 });
    }).toPass({ timeout: 20_000 });
    await firstContext.close();
    await secondContext.close();
  });

  test("refuses a sign-in that arrived through a proxy from another address", async ({ browser }) => {
    const context = await browser.newContext({ extraHTTPHeaders: { "x-forwarded-for": "203.0.113.7" } });
    const page = await context.newPage();
    await signInLocally(page, "intruder@example.test");
    await expect(page).toHaveURL(/\/sign-in\?error=not_loopback/);
    await expect(page.getByText("Local sign-in works only from this machine")).toBeVisible();
    await context.close();
  });
});
