import { expect, test } from "@playwright/test";
import { LOCAL_CONSOLE, OIDC_CONSOLE } from "@/testing/e2e/fixtures";

test.describe("security headers", () => {
  test("every page carries a nonce CSP its own scripts satisfy, and injected script does not run", async ({ page }) => {
    const violations: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    const response = await page.goto(`${OIDC_CONSOLE}/sign-in`);
    const csp = response!.headers()["content-security-policy"] ?? "";
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce, csp).toBeTruthy();
    expect(csp).toContain("'strict-dynamic'");
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).toContain("frame-ancestors 'none'");
    // Next's own scripts carry this request's nonce, and the page hydrates (the button works).
    expect(await page.locator(`script[nonce]`).count()).toBeGreaterThan(0);
    await page.getByRole("button", { name: /Sign in with/ }).click();
    await page.waitForURL(/localhost:3210\/interaction\//);
    expect(violations).toEqual([]);

    // A fresh nonce per request.
    const again = await page.request.get(`${OIDC_CONSOLE}/sign-in`);
    expect(/'nonce-([^']+)'/.exec(again.headers()["content-security-policy"] ?? "")?.[1]).not.toBe(nonce);

    // Markup injected into a page (as stored XSS would be: in the server's HTML, with the real
    // headers) cannot run script: neither an inline <script> without the nonce nor an inline handler.
    await page.route(`${LOCAL_CONSOLE}/sign-in`, async (route) => {
      const res = await route.fetch();
      const html = (await res.text()).replace("</body>", `<script>window.__injected = 1</script><img src="/nope.png" onerror="window.__injected = 2"></body>`);
      await route.fulfill({ response: res, body: html });
    });
    await page.goto(`${LOCAL_CONSOLE}/sign-in`);
    await expect(page.getByRole("button", { name: "Sign in locally" })).toBeVisible();
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => (window as unknown as { __injected?: number }).__injected)).toBeUndefined();
    expect(violations.length).toBeGreaterThan(0);
  });

  test("HSTS is sent only over HTTPS", async ({ request }) => {
    expect((await request.get(`${LOCAL_CONSOLE}/sign-in`)).headers()["strict-transport-security"]).toBeUndefined();
    const behindTls = await request.get(`${LOCAL_CONSOLE}/sign-in`, { headers: { "x-forwarded-proto": "https" } });
    expect(behindTls.headers()["strict-transport-security"]).toMatch(/max-age=\d{8}/);
  });
});
