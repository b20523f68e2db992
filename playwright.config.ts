import { existsSync } from "node:fs";
import { defineConfig } from "@playwright/test";
import { BOOTSTRAP_TOKEN, DEMO_CONSOLE, DEMO_PORTAL, FIXTURE_MCP_ORIGIN, LOCAL_CONSOLE, LOCAL_PORTAL, LOCAL_SIGN_IN_CODE, OAUTH_MCP_ORIGIN, OIDC_CONSOLE, OIDC_ISSUER, OIDC_PORTAL, UPSTREAM_OAUTH_ISSUER } from "./testing/e2e/fixtures";

/**
 * Two consoles, both on fresh embedded databases:
 * - :3100 signs in through a real OIDC provider (testing/servers/oidc-server.mjs on :3210), and accepts a
 *   bootstrap admin token for the API specs;
 * - :3101 runs in local mode (no IdP);
 * - :3102 is `npm run demo` (local mode) on a seeded organisation, for the specs of charts on seeded data.
 * Each runs its portal Worker in workerd next to it, as `npm start` does (:8788 and :8789).
 * Browsers: Debian's Chromium only; nothing is downloaded.
 */

const chromium = process.env.CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);

export default defineConfig({
  testDir: "./e2e",
  testMatch: "**/*.spec.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    baseURL: OIDC_CONSOLE,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: chromium,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
  projects: [
    { name: "api", testMatch: "api/**/*.spec.ts" },
    { name: "console", testMatch: "console/**/*.spec.ts", use: { browserName: "chromium" } },
  ],
  webServer: [
    {
      command: "node testing/servers/mutable-mcp-server.mjs",
      url: `${FIXTURE_MCP_ORIGIN}/__fixture/tools`,
      env: { FIXTURE_PORT: "3300" },
      reuseExistingServer: false,
      timeout: 30_000,
    },
    // The upstream side of "OAuth (sign in at the provider)": an authorization server with dynamic
    // client registration, and an MCP server that accepts only its access tokens.
    {
      command: "node testing/servers/oidc-server.mjs",
      url: `${UPSTREAM_OAUTH_ISSUER}/.well-known/openid-configuration`,
      env: { OIDC_TEST_PORT: "3211", OIDC_TEST_ISSUER_HOST: "127.0.0.1", OIDC_TEST_REGISTRATION: "1", OIDC_TEST_RESOURCE_SERVER: "1" },
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      command: "node testing/servers/mutable-mcp-server.mjs",
      url: `${OAUTH_MCP_ORIGIN}/.well-known/oauth-protected-resource`,
      env: { FIXTURE_PORT: "3301", FIXTURE_OAUTH_ISSUER: UPSTREAM_OAUTH_ISSUER },
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      command: "node testing/servers/oidc-server.mjs",
      url: "http://localhost:3210/.well-known/openid-configuration",
      env: { OIDC_TEST_PORT: "3210", OIDC_TEST_REDIRECT_URIS: `${OIDC_CONSOLE}/api/auth/callback/oidc` },
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      command: "node testing/e2e/serve.mjs oidc",
      url: `${OIDC_CONSOLE}/api/health`,
      env: {
        PORT: "3100",
        OIDC_ISSUER,
        OIDC_CLIENT_ID: "portcullis",
        OIDC_CLIENT_SECRET: "portcullis-secret",
        OIDC_NAME: "Acme SSO",
        OIDC_ROLE_GROUPS: "admin=portcullis-admins,approver=portcullis-approvers,viewer=portcullis-viewers",
        // Not local mode, so loopback upstreams (the fixture MCP server) must be allowed explicitly.
        PORTCULLIS_ALLOWED_UPSTREAM_CIDRS: "127.0.0.0/8,::1/128",
        OIDC_AUTO_CREATE_TEAMS: "true",
        AUTH_URL: OIDC_CONSOLE,
        PORTCULLIS_ADMIN_TOKEN: BOOTSTRAP_TOKEN,
        // Its portal Worker (started by scripts/start.mjs in workerd) on another port than `npm start`'s.
        PORTCULLIS_PORTAL_PORT: String(new URL(OIDC_PORTAL).port),
      },
      reuseExistingServer: false,
      timeout: 180_000,
    },
    {
      command: "node testing/e2e/serve.mjs local",
      url: `${LOCAL_CONSOLE}/api/health`,
      env: { PORT: "3101", OIDC_ISSUER: "", OIDC_CLIENT_ID: "", OIDC_CLIENT_SECRET: "", PORTCULLIS_PORTAL_PORT: String(new URL(LOCAL_PORTAL).port), PORTCULLIS_FIRST_SIGNIN_CODE: LOCAL_SIGN_IN_CODE },
      reuseExistingServer: false,
      timeout: 180_000,
    },
    // The demo seeds its organisation (5,000 events: every chart filled, a server's denied calls over two Audit pages) in ~20 s, then starts like npm start.
    {
      command: "node testing/e2e/serve.mjs demo",
      url: `${DEMO_CONSOLE}/api/health`,
      env: {
        PORT: "3102",
        OIDC_ISSUER: "",
        OIDC_CLIENT_ID: "",
        OIDC_CLIENT_SECRET: "",
        PORTCULLIS_PORTAL_PORT: String(new URL(DEMO_PORTAL).port),
        PORTCULLIS_DEMO_MCP_PORT: "3302",
        PORTCULLIS_DEMO_EVENTS: "5000",
        PORTCULLIS_ADMIN_TOKEN: BOOTSTRAP_TOKEN,
      },
      reuseExistingServer: false,
      timeout: 240_000,
    },
  ],
});
