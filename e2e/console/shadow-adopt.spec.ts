/**
 * Adopt a laptop's stdio server, as security meets it: a laptop scan reports a GitHub MCP server
 * started with a token on its command line and in its environment; the finding's page offers
 * Adopt, which shows the `npx portcullis bridge` command for that configuration with the secrets
 * as placeholders (never their values), the environment variables it needs, the new-server
 * alternative, and the registration request prefilled with the URL the bridge prints.
 */
import { expect, test } from "@playwright/test";
import { adminApi, OIDC_CONSOLE, OIDC_PORTAL, signInWithOidc } from "@/testing/e2e/fixtures";

const TOKEN = "ghp_E2eAdoptT0kenAbCdEfGhIjKlMnOpQrStUv12";

test("Adopt on a laptop-scan stdio finding shows the bridge command with placeholders, and the prefilled registration", async ({ page }) => {
  const tag = Date.now().toString(36);
  const pkg = `@acme/github-mcp-${tag}`;
  const configPath = "/Users/dana/Library/Application Support/Claude/claude_desktop_config.json";
  // Names of env variables only (a report cannot hold their values); the token argument as a report not made by
  // `npm run scan` could carry it, unredacted: the console redacts it again.
  const scan = await adminApi<{ findings: { id: string; key: string }[] }>("POST", "/shadow/scans", {
    device: { name: `DANA-MBP-${tag}`, os: "darwin", user: "dana" },
    scannedAt: new Date().toISOString(),
    files: [{ client: "claude-desktop", path: configPath, found: 1 }],
    servers: [
      {
        client: "claude-desktop",
        configPath,
        name: `github-${tag}`,
        transport: "stdio",
        command: "npx",
        args: ["-y", pkg, "--token", TOKEN, "--repo", "acme/My Repo"],
        envNames: ["GITHUB_PERSONAL_ACCESS_TOKEN"],
        headerNames: [],
        redactions: ["arg:3", "env:GITHUB_PERSONAL_ACCESS_TOKEN"],
      },
    ],
    redactionReport: { envValues: 1, headerValues: 0, args: 1, urlParts: 0 },
  });
  const finding = scan.findings.find((f) => f.key === `stdio:npm:${pkg}`);
  expect(finding).toBeDefined();

  await signInWithOidc(page, "alice", `/shadow/${finding!.id}`);
  await expect(page.getByRole("heading", { name: `Local MCP server github-${tag}` })).toBeVisible();
  await page.getByRole("link", { name: "Adopt", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Adopt this local MCP server" })).toBeVisible();

  const command = page.getByTestId("bridge-command");
  const portal = new URL(OIDC_PORTAL).port;
  await expect(command).toHaveText(
    [
      "export GITHUB_PERSONAL_ACCESS_TOKEN='<GITHUB_PERSONAL_ACCESS_TOKEN>'",
      `npx portcullis bridge --portal http://localhost:${portal} --name github-${tag} -- npx -y ${pkg} --token '<TOKEN>' --repo 'acme/My Repo'`,
    ].join("\n"),
  );
  await expect(page.getByTestId("needed-env")).toContainText("GITHUB_PERSONAL_ACCESS_TOKEN");
  await expect(page.getByTestId("new-server-command")).toHaveText(`npx portcullis new-server github-${tag}`);
  const text = await page.locator("main").innerText();
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain("[redacted]");

  // The registration request, prefilled with the URL the bridge prints, and linked to the finding.
  await page.getByRole("link", { name: `Request registration of github-${tag}` }).click();
  await expect(page.getByRole("heading", { name: "Request an MCP server" })).toBeVisible();
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue(`github-${tag}`);
  await expect(page.getByLabel("URL", { exact: true })).toHaveValue("http://127.0.0.1:8790/mcp");
  await expect(page.getByLabel("Description (optional)")).toHaveValue(new RegExp(`npx -y ${pkg.replace(/[/.]/g, "\\$&")} --token '<TOKEN>'`));
  await expect(page.locator('input[name="finding"]')).toHaveValue(finding!.id);
  expect(await page.content()).not.toContain(TOKEN);
  expect(new URL(page.url()).origin).toBe(OIDC_CONSOLE);
});
