import { expect, test } from "@playwright/test";
import { OIDC_CONSOLE, signInWithOidc } from "@/testing/e2e/fixtures";
import { PAGES } from "@/testing/e2e/pages";

test("anonymous visitors are sent to sign-in from every page", async ({ page }) => {
  for (const path of Object.keys(PAGES).filter((p) => PAGES[p] !== "public" && !p.includes("["))) {
    await page.goto(`${OIDC_CONSOLE}${path}`);
    await expect(page, path).toHaveURL(/\/sign-in/);
  }
});

test("a viewer opens only the pages for everyone; an admin opens all", async ({ browser }) => {
  // Two loads per page in the table (over 20 pages), each a server render: on a loaded 2-core machine
  // about 2 s each, beyond the default 60 s.
  test.setTimeout(180_000);
  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();
  await signInWithOidc(viewer, "victor");
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signInWithOidc(admin, "alice");
  for (const [path, who] of Object.entries(PAGES).filter(([p, who]) => who !== "public" && !p.includes("["))) {
    const asViewer = await viewer.goto(`${OIDC_CONSOLE}${path}`);
    expect(asViewer?.status(), `viewer ${path}`).toBe(who === "everyone" ? 200 : 403);
    if (who === "everyone") await expect(viewer, path).not.toHaveURL(/\/sign-in/);
    const asAdmin = await admin.goto(`${OIDC_CONSOLE}${path}`);
    expect(asAdmin?.status(), `admin ${path}`).toBe(200);
  }
  await viewerContext.close();
  await adminContext.close();
});
