/**
 * mcp-remote — the stdio bridge Claude Desktop (and others) run for remote MCP servers — against
 * the portal, as people configure it: `mcp-remote http://localhost:<port>/mcp`. It registers
 * itself, sends the person to sign in and consent in the console (Chromium here), receives the
 * code on its own loopback callback, and calls tools; started again with an expired access token,
 * it refreshes the grant without a browser.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { expect, test } from "@playwright/test";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { approveWeatherServer, OIDC_PORTAL, publishOnPortalPage, signInWithOidc, waitForPortal } from "@/testing/e2e/fixtures";

const MCP_REMOTE = path.join(process.cwd(), "node_modules", "mcp-remote", "dist", "proxy.js");
/** The host name the Portal page's snippet uses, not the 127.0.0.1 the console pushes to. */
const PORTAL_AS_PEOPLE_TYPE_IT = OIDC_PORTAL.replace("127.0.0.1", "localhost");

/** mcp-remote over stdio, with its credentials in `configDir` and no real browser to open: it prints the URL, the test visits it. */
function mcpRemote(configDir: string, fakeBin: string) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MCP_REMOTE, `${PORTAL_AS_PEOPLE_TYPE_IT}/mcp`, "--host", "127.0.0.1", "--auth-timeout", "90"],
    env: { ...(process.env as Record<string, string>), MCP_REMOTE_CONFIG_DIR: configDir, BROWSER: path.join(fakeBin, "browser"), PATH: `${fakeBin}:${process.env.PATH}`, DISPLAY: "" },
    stderr: "pipe",
  });
  let log = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    log += chunk.toString();
  });
  return { transport, log: () => log, authorizationUrl: () => /Please authorize this client by visiting:\s+(\S+)/.exec(log)?.[1] };
}

function tokenFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith("_tokens.json")) found.push(path.join(entry.parentPath, entry.name));
  }
  return found;
}

test("mcp-remote signs in through the console, calls a tool, and refreshes its grant without a browser", async ({ page }) => {
  test.setTimeout(180_000);
  const upstream = await startMutableServer({ port: 0 });
  const slug = `mr-${Date.now().toString(36)}`;
  const configDir = mkdtempSync(path.join(tmpdir(), "mcp-remote-"));
  // Browsers mcp-remote might try to open: none here (a headless machine); each just exits.
  const fakeBin = path.join(configDir, "bin");
  mkdirSync(fakeBin);
  for (const name of ["browser", "xdg-open", "gio", "x-www-browser", "sensible-browser"]) {
    writeFileSync(path.join(fakeBin, name), "#!/bin/sh\nexit 0\n");
    chmodSync(path.join(fakeBin, name), 0o755);
  }
  const clients: Client[] = [];
  try {
    await waitForPortal();
    await approveWeatherServer({ label: "mcp-remote e2e", slug, url: upstream.url, tools: ["get_weather", "list_forecasts"] });
    await signInWithOidc(page, "alice", "/portal");
    await publishOnPortalPage(page);

    // First start: no credentials, so mcp-remote registers and asks the person to authorize.
    const first = mcpRemote(configDir, fakeBin);
    const client = new Client({ name: "claude-desktop-e2e", version: "1" });
    clients.push(client);
    const connected = client.connect(first.transport);
    await expect.poll(first.authorizationUrl, { timeout: 60_000 }).toBeTruthy();
    const authorizationUrl = new URL(first.authorizationUrl()!);
    expect(authorizationUrl.origin).toBe(PORTAL_AS_PEOPLE_TYPE_IT);
    expect(authorizationUrl.searchParams.get("code_challenge_method")).toBe("S256");
    await page.goto(authorizationUrl.toString());
    await expect(page.getByRole("heading", { name: "Connect an MCP client" })).toBeVisible();
    await expect(page.getByTestId("consent-redirect")).toContainText("127.0.0.1");
    await page.getByRole("button", { name: "Allow" }).click();
    await expect(page.getByText(/Authorization successful|You may close this window/i)).toBeVisible({ timeout: 30_000 });
    await connected;

    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain(`${slug}_get_weather`);
    const result = await client.callTool({ name: `${slug}_get_weather`, arguments: { city: "Tromsø" } });
    expect(JSON.stringify(result.content)).toContain("Tromsø");
    await client.close();

    // The stored grant: break its access token, as if an hour had passed.
    const [tokensFile] = tokenFiles(configDir);
    expect(tokensFile, first.log()).toBeTruthy();
    const stored = JSON.parse(readFileSync(tokensFile!, "utf8")) as { access_token: string; refresh_token?: string };
    expect(stored.refresh_token).toBeTruthy();
    writeFileSync(tokensFile!, JSON.stringify({ ...stored, access_token: "expired-access-token", expires_in: 1 }));

    // Second start: the portal refuses the access token, mcp-remote refreshes and carries on; nobody is asked.
    const second = mcpRemote(configDir, fakeBin);
    const again = new Client({ name: "claude-desktop-e2e", version: "1" });
    clients.push(again);
    await again.connect(second.transport);
    const forecast = await again.callTool({ name: `${slug}_list_forecasts`, arguments: { city: "Bodø" } });
    expect(JSON.stringify(forecast.content)).toContain("Bodø");
    expect(second.authorizationUrl(), second.log()).toBeUndefined();
    const refreshed = JSON.parse(readFileSync(tokensFile!, "utf8")) as { access_token: string; refresh_token?: string };
    expect(refreshed.access_token).not.toBe("expired-access-token");
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    await upstream.close();
    rmSync(configDir, { recursive: true, force: true });
  }
});
