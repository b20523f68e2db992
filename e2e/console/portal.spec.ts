/**
 * The portal end to end, as a newcomer meets it: an approved server is published from the Portal
 * page to the Worker that the console started next to itself (workerd), the official SDK client
 * calls a tool through `/mcp` — once with an API token, once after signing in through the console
 * (OAuth: registration, PKCE, consent page, loopback redirect) — and the calls appear on the Audit page.
 */
import { createServer, type Server } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { expect, test, type Page } from "@playwright/test";
import { MemoryOAuthClient } from "@/testing/oauth-client";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { aliceWithToken, approveWeatherServer, OIDC_PORTAL, publishOnPortalPage, signInWithOidc, waitForPortal } from "@/testing/e2e/fixtures";



/** Reloads the Audit page until a row with all of `texts` shows (events arrive in batches, within a second or two). */
async function expectAuditRow(page: Page, texts: string[]) {
  await expect(async () => {
    await page.goto("/audit");
    let rows = page.getByTestId("event-row");
    for (const t of texts) rows = rows.filter({ hasText: t });
    await expect(rows.first()).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
}

test("approve, publish, call a tool through the portal with a token and with OAuth, and see the calls in the audit log", async ({ page }) => {
  test.setTimeout(120_000);
  const upstream = await startMutableServer({ port: 0 });
  const slug = `wx-${Date.now().toString(36)}`;
  const redirects: Server[] = [];
  try {
    // The Worker starts with the console; wait until it answers.
    await waitForPortal();

    // A registered, approved server.
    await approveWeatherServer({ label: "portal e2e", slug, url: upstream.url, tools: ["get_weather", "list_forecasts"] });

    // Alice (admin) publishes from the Portal page and sees the Worker acknowledge the version.
    await signInWithOidc(page, "alice", "/portal");
    await expect(page.getByRole("heading", { name: "Portal" })).toBeVisible();
    await expect(page.getByTestId("portal-endpoint")).toContainText("/mcp");
    await publishOnPortalPage(page);
    await page.reload();
    await expect(page.getByTestId("portal-status")).toContainText("v");

    // An API token for alice, as a headless agent would use.
    const { secret } = await aliceWithToken("portal e2e");
    // The token was made after the publish: the console brings users and tokens to the edge by itself within seconds.
    let tokenClient!: Client;
    await expect(async () => {
      tokenClient = new Client({ name: "e2e-agent", version: "1.0.0" });
      await tokenClient.connect(new StreamableHTTPClientTransport(new URL("/mcp", OIDC_PORTAL), { requestInit: { headers: { authorization: `Bearer ${secret}` } } }));
    }).toPass({ timeout: 30_000 });
    const names = (await tokenClient.listTools()).tools.map((t) => t.name);
    expect(names).toContain(`${slug}_get_weather`);
    expect(names).not.toContain(`${slug}_delete_station`);
    const result = await tokenClient.callTool({ name: `${slug}_get_weather`, arguments: { city: "Oslo" } });
    expect(JSON.stringify(result.content)).toContain("Oslo");
    const refused = await tokenClient.callTool({ name: `${slug}_delete_station`, arguments: { id: "1" } }).catch((e: Error) => e);
    expect(String(refused)).toContain("not available");
    await tokenClient.close();

    await expectAuditRow(page, [slug, "get_weather", "e2e-agent"]);
    await expectAuditRow(page, [slug, "delete_station", "denied"]);

    // OAuth: a CLI client with a loopback redirect URI; alice signs in (already) and allows it.
    let receivedCode: string | null = null;
    let receivedError: string | null = null;
    const loopback = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (url.pathname !== "/callback") return void res.writeHead(404).end(); // e.g. the browser's favicon request
      receivedCode = url.searchParams.get("code");
      receivedError = url.searchParams.get("error");
      res.writeHead(200, { "content-type": "text/plain" }).end("You can close this window.");
    });
    redirects.push(loopback);
    await new Promise<void>((resolve) => loopback.listen(0, "127.0.0.1", resolve));
    const oauth = new MemoryOAuthClient(`http://127.0.0.1:${(loopback.address() as { port: number }).port}/callback`, "E2E CLI");
    const transport = () => new StreamableHTTPClientTransport(new URL("/mcp", OIDC_PORTAL), { authProvider: oauth });
    await expect(new Client({ name: "e2e-cli", version: "1" }).connect(transport())).rejects.toThrow(UnauthorizedError);
    await page.goto(oauth.authorizationUrl!.toString());
    await expect(page.getByRole("heading", { name: "Connect an MCP client" })).toBeVisible();
    await expect(page.getByTestId("consent-client")).toHaveText("E2E CLI");
    await page.getByRole("button", { name: "Allow" }).click();
    await expect(page.getByText("You can close this window.")).toBeVisible();
    expect(receivedError).toBeNull();
    expect(receivedCode).toBeTruthy();
    const t = transport();
    await t.finishAuth(receivedCode!);
    const oauthClient = new Client({ name: "e2e-cli", version: "1" });
    await oauthClient.connect(t);
    const echo = await oauthClient.callTool({ name: `${slug}_list_forecasts`, arguments: { city: "Bergen" } });
    expect(JSON.stringify(echo.content)).toContain("Bergen");
    await oauthClient.close();

    await expectAuditRow(page, [slug, "list_forecasts", "e2e-cli"]);
  } finally {
    for (const s of redirects) s.close();
    await upstream.close();
  }
});
