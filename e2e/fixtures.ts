import { expect, type Page } from "@playwright/test";

export const OIDC_CONSOLE = "http://localhost:3100";
export const LOCAL_CONSOLE = "http://localhost:3101";
/** The portal Workers the consoles start next to themselves (scripts/start.mjs, PORTCULLIS_PORTAL_PORT). */
export const OIDC_PORTAL = "http://127.0.0.1:8788";
export const LOCAL_PORTAL = "http://127.0.0.1:8789";
export const OIDC_ISSUER = "http://localhost:3210";
/** e2e/fixtures/mutable-mcp-server.mjs: a real MCP server whose tools the specs change at run time. */
export const FIXTURE_MCP_ORIGIN = "http://127.0.0.1:3300";
/** An authorization server with dynamic client registration, and an MCP server that only takes its tokens. */
export const UPSTREAM_OAUTH_ISSUER = "http://127.0.0.1:3211";
export const OAUTH_MCP_ORIGIN = "http://127.0.0.1:3301";
export const BOOTSTRAP_TOKEN = "e2e-bootstrap-admin-token-0123456789abcdef";

/** Signs in through the real OIDC provider's login page (e2e/oidc-server.mjs). */
export async function signInWithOidc(page: Page, login: "alice" | "victor" | "mallory" | "aaron", next = "/") {
  await page.goto(`${OIDC_CONSOLE}/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByRole("button", { name: "Sign in with Acme SSO" }).click();
  await expect(page).toHaveURL(/localhost:3210\/interaction\//);
  await page.locator('input[name="login"]').fill(login);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.origin === OIDC_CONSOLE && !url.pathname.startsWith("/sign-in") && !url.pathname.startsWith("/api/auth"));
}

export async function signInLocally(page: Page, email: string, name = "") {
  await page.goto(`${LOCAL_CONSOLE}/sign-in`);
  await page.getByLabel("E-mail").fill(email);
  if (name) await page.getByLabel("Name (optional)").fill(name);
  await page.getByRole("button", { name: "Sign in locally" }).click();
}
