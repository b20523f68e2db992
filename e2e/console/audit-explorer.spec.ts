/**
 * The Audit explorer as a security reader uses it: a real call through the portal, then the Audit
 * filtered by its user through the form (the URL carries the filter and a reload keeps it), the
 * call's detail drawer, the view saved under a name, and the filtered view exported as CSV.
 */
import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { aliceWithToken, approveWeatherServer, callWeatherThroughPortal, publishOnPortalPage, signInWithOidc, waitForPortal } from "@/testing/e2e/fixtures";

test("filter the audit by a user, share the URL, open a call's details, save the view and export it as CSV", async ({ page }) => {
  test.setTimeout(120_000);
  const upstream = await startMutableServer({ port: 0 });
  const slug = `ex-${Date.now().toString(36)}`;
  const viewName = `Alice ${slug}`;
  try {
    await waitForPortal();
    await approveWeatherServer({ label: "explorer e2e", slug, url: upstream.url, tools: ["get_weather"] });
    await signInWithOidc(page, "alice", "/portal");
    await publishOnPortalPage(page);
    const { alice, secret } = await aliceWithToken("explorer e2e");
    await expect.poll(() => callWeatherThroughPortal(secret, slug), { timeout: 60_000 }).toBe("allowed");

    // Filter by the user through the form: the URL carries it.
    await page.goto("/audit");
    await page.getByRole("textbox", { name: "User" }).fill(alice.email);
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL((url) => url.pathname === "/audit" && url.search === `?${new URLSearchParams({ user: alice.email })}`);
    const row = page.getByTestId("event-row").filter({ hasText: slug }).first();
    // The portal delivers events within seconds; reloading keeps the filter.
    await expect(async () => {
      await page.reload();
      await expect(row).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    await expect(page.getByRole("textbox", { name: "User" })).toHaveValue(alice.email);
    await expect(page.getByTestId("event-row").filter({ hasNotText: alice.email })).toHaveCount(0);

    // The table fits a 1440-px screen, and a 1280-px one: long values are cut (whole in a tooltip and the drawer), never scrolled to.
    for (const width of [1440, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      const overflow = await row.evaluate((tr) => {
        const box = tr.closest("table")!.parentElement!;
        const doc = document.scrollingElement!;
        return { table: box.scrollWidth - box.clientWidth, page: doc.scrollWidth - doc.clientWidth };
      });
      expect(overflow, `at ${width} px`).toEqual({ table: 0, page: 0 });
    }

    // The drawer: the whole event.
    await row.getByRole("button", { name: "Details" }).click();
    const drawer = page.getByRole("dialog");
    await expect(drawer).toBeVisible();
    await expect(drawer.locator('[data-field="serverSlug"]')).toHaveText(slug);
    await expect(drawer.locator('[data-field="tool"]')).toHaveText("get_weather");
    await expect(drawer.locator('[data-field="email"]')).toHaveText(alice.email);
    await expect(drawer.locator('[data-field="decision"]')).toHaveText("allowed");
    // What was sent and what came back, as the portal kept them (masked per the audit setting; nothing to mask here).
    const content = drawer.getByTestId("event-drawer-content");
    await expect(content).toContainText('Arguments (redacted as the portal\'s audit setting says){"city":"Oslo"}');
    await expect(content).toContainText("Result (excerpt)");
    await expect(content).toContainText("Oslo");
    await drawer.getByRole("button", { name: "Close" }).click();
    await expect(drawer).toBeHidden();

    // Save the view, then open it from the list.
    await page.getByRole("textbox", { name: "View name" }).fill(viewName);
    await page.getByRole("button", { name: "Save this view" }).click();
    const saved = page.getByTestId("saved-views").getByRole("listitem").filter({ hasText: viewName });
    await expect(saved).toBeVisible();
    await saved.getByRole("link", { name: viewName }).click();
    await expect(page).toHaveURL((url) => url.searchParams.get("user") === alice.email && !url.searchParams.has("cursor"));

    // Export the filtered view: a CSV download with the header and the call.
    const downloading = page.waitForEvent("download");
    await page.getByRole("link", { name: "CSV", exact: true }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^portcullis-audit-\d{8}T\d{4}\.csv$/);
    const csv = await readFile((await download.path())!, "utf8");
    const lines = csv.split("\r\n");
    expect(lines[0]).toMatch(/^time,id,userId,email,teamId,/);
    const call = lines.find((l) => l.includes(`,${slug},`) && l.includes(",get_weather,"));
    expect(call).toBeDefined();
    expect(call).toContain(`,${alice.email},`);
    expect(lines.slice(1).filter(Boolean).every((l) => l.includes(alice.email))).toBe(true);
    await page.screenshot({ path: "test-results/audit-explorer.png", fullPage: true });

    // A hand-edited link with an invalid value says what it ignored, and still answers.
    await page.goto(`/audit?decision=maybe&user=${encodeURIComponent(alice.email)}`);
    await expect(page.getByRole("alert").filter({ hasText: "decision:" })).toContainText("Ignored");
    await expect(page.getByTestId("event-row").filter({ hasText: slug }).first()).toBeVisible();

    // Leave no saved view behind (the console is shared by the specs).
    page.once("dialog", (dialog) => void dialog.accept());
    await saved.getByRole("button", { name: "Delete" }).click();
    await expect(saved).toHaveCount(0);
  } finally {
    await upstream.close();
  }
});
