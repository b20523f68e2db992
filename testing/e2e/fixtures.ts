import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { expect, type Locator, type Page } from "@playwright/test";

export const OIDC_CONSOLE = "http://localhost:3100";
export const LOCAL_CONSOLE = "http://localhost:3101";
/** The first sign-in code the local console is started with (npm start prints a random one). */
export const LOCAL_SIGN_IN_CODE = "E2E7-TEST-C0DE";
/** The portal Workers the consoles start next to themselves (scripts/start.mjs, PORTCULLIS_PORTAL_PORT). */
export const OIDC_PORTAL = "http://127.0.0.1:8788";
export const LOCAL_PORTAL = "http://127.0.0.1:8789";
export const OIDC_ISSUER = "http://localhost:3210";
/** testing/servers/mutable-mcp-server.mjs: a real MCP server whose tools the specs change at run time. */
export const FIXTURE_MCP_ORIGIN = "http://127.0.0.1:3300";
/** An authorization server with dynamic client registration, and an MCP server that only takes its tokens. */
export const UPSTREAM_OAUTH_ISSUER = "http://127.0.0.1:3211";
export const OAUTH_MCP_ORIGIN = "http://127.0.0.1:3301";
export const BOOTSTRAP_TOKEN = "e2e-bootstrap-admin-token-0123456789abcdef";
/**
 * A third console, in local mode, started by `npm run demo` (testing/e2e/serve.mjs demo): a seeded
 * organisation with a month of events, for the specs that need charts with data. Only they use it:
 * nothing the other specs count or expect empty is there. Its API takes BOOTSTRAP_TOKEN too.
 */
export const DEMO_CONSOLE = "http://localhost:3102";
export const DEMO_PORTAL = "http://127.0.0.1:8790";
/** The demo's admin (scripts/demo/seed-demo.ts DEMO_PEOPLE): local sign-in, no code once the organisation exists. */
export const DEMO_ADMIN = "admin@demo.example";

/** The OIDC console's API (or `origin`'s: DEMO_CONSOLE) as the bootstrap admin; a non-2xx answer throws with its body. */
export async function adminApi<T>(method: string, path: string, body?: unknown, origin = OIDC_CONSOLE): Promise<T> {
  const res = await fetch(`${origin}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** Signs in to the demo console as one of its people (local sign-in) and waits for the console. */
export async function signInToDemo(page: Page, email = DEMO_ADMIN): Promise<void> {
  await page.goto(`${DEMO_CONSOLE}/sign-in`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByRole("button", { name: "Sign in locally" }).click();
  await page.waitForURL((url) => url.origin === DEMO_CONSOLE && !url.pathname.startsWith("/sign-in"));
}

/** Waits until the OIDC console's portal Worker answers (its public root; the status endpoint is the console's only): it starts with the console. */
export async function waitForPortal(): Promise<void> {
  await expect.poll(async () => (await fetch(`${OIDC_PORTAL}/`).catch(() => null))?.status ?? 0, { timeout: 60_000 }).toBe(200);
}

/**
 * Registers the mutable fixture server at `url` as "Weather (<label>)" and approves `tools` of it,
 * through the API (the registry has its own browser specs).
 */
export async function approveWeatherServer({ label, slug, url, tools }: { label: string; slug: string; url: string; tools: string[] }): Promise<void> {
  const server = await adminApi<{ id: string }>("POST", "/servers", { name: `Weather (${label})`, slug, url, justification: label });
  await adminApi("POST", `/servers/${server.id}/approve`, { reason: "ok", tools });
}

/** Alice (an admin at the OIDC provider) and an API token of hers for a day, as her headless agent would use. */
export async function aliceWithToken(tokenName: string): Promise<{ alice: { id: string; email: string }; secret: string }> {
  const { users } = await adminApi<{ users: { id: string; email: string }[] }>("GET", "/users");
  const alice = users.find((u) => u.email.startsWith("alice@"))!;
  // An agent that calls tools: a read-only token would see only tools approved as read-only.
  const { secret } = await adminApi<{ secret: string }>("POST", "/tokens", { name: tokenName, scopes: ["read", "write"], expiresInDays: 1, userId: alice.id });
  return { alice, secret };
}

/** Clicks Publish on the Portal page (the page must be open) and waits until the portal accepted the version. */
export async function publishOnPortalPage(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Publish", exact: true }).click();
  await expect(page.getByTestId("publish-result")).toContainText("accepted");
}

/**
 * Calls `{slug}_get_weather` (the mutable fixture server's tool) through the OIDC console's portal
 * with an API token (and any other `headers`, e.g. a traceparent): "allowed" when the answer came back, else what went wrong (for a poll to match).
 */
export async function callWeatherThroughPortal(secret: string, slug: string, headers: Record<string, string> = {}): Promise<string> {
  const client = new Client({ name: "e2e", version: "1.0.0" });
  try {
    // A token made after a publish reaches the edge with the next identity sync (seconds).
    await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", OIDC_PORTAL), { requestInit: { headers: { ...headers, authorization: `Bearer ${secret}` } } }));
  } catch (error) {
    return `not connected: ${String(error)}`;
  }
  try {
    const result = await client.callTool({ name: `${slug}_get_weather`, arguments: { city: "Oslo" } });
    return JSON.stringify(result.content).includes("Oslo") ? "allowed" : "unexpected";
  } catch (error) {
    return `refused: ${String(error)}`;
  } finally {
    await client.close();
  }
}

/** Signs in through the real OIDC provider's login page (testing/servers/oidc-server.mjs). */
export async function signInWithOidc(page: Page, login: "alice" | "victor" | "mallory" | "aaron", next = "/") {
  await page.goto(`${OIDC_CONSOLE}/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByRole("button", { name: "Sign in with Acme SSO" }).click();
  await expect(page).toHaveURL(/localhost:3210\/interaction\//);
  await page.locator('input[name="login"]').fill(login);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.origin === OIDC_CONSOLE && !url.pathname.startsWith("/sign-in") && !url.pathname.startsWith("/api/auth"));
}

export async function signInLocally(page: Page, email: string, name = "", code?: string) {
  await page.goto(`${LOCAL_CONSOLE}/sign-in`);
  await page.getByLabel("E-mail").fill(email);
  if (name) await page.getByLabel("Name (optional)").fill(name);
  if (code !== undefined) await page.getByLabel("Sign-in code").fill(code);
  await page.getByRole("button", { name: "Sign in locally" }).click();
}

/** An SVG chart's marks (bars, lines, areas, pie sectors) whatever the chart library draws them with. */
const CHART_MARKS = ".recharts-bar-rectangle path, .recharts-rectangle, .recharts-line-curve, .recharts-area-area, .recharts-sector";

/**
 * How many of `chart`'s SVG marks are drawn (an empty chart draws axes and a grid only): bars, areas
 * and sectors of a non-zero size, and lines that span some width — a line of a series that stayed
 * level (a budget with nothing spent yet today) is drawn data, and its box has no height.
 */
export function chartMarks(chart: Locator): Promise<number> {
  return chart.locator(CHART_MARKS).evaluateAll((marks) =>
    marks.filter((m) => {
      const box = m.getBoundingClientRect();
      return m.classList.contains("recharts-line-curve") ? box.width > 0 : box.width > 0 && box.height > 0;
    }).length,
  );
}

/** `chart` (an element around one SVG chart) shows data: it is drawn, with at least one mark of non-zero size. */
export async function expectChartWithData(chart: Locator): Promise<void> {
  await expect(chart.locator("svg").first()).toBeVisible();
  await expect.poll(() => chartMarks(chart), { message: "the chart's marks of non-zero size" }).toBeGreaterThan(0);
}

/** The texts of one column of the table under `scope`, found by its header (so a new or moved column changes nothing). */
export async function columnTexts(scope: Locator, header: string, rows: Locator): Promise<string[]> {
  const headers = (await scope.locator("thead th").allInnerTexts()).map((h) => h.trim().toLowerCase());
  const index = headers.indexOf(header.toLowerCase());
  if (index < 0) throw new Error(`no column "${header}" among ${headers.join(", ")}`);
  return rows.evaluateAll((trs, i) => trs.map((tr) => (tr as HTMLTableRowElement).cells[i]?.textContent?.trim() ?? ""), index);
}
