/**
 * Code Mode as an admin turns it on and an agent uses it: the Portal page's setting (opt-in here,
 * so the other specs' plain clients are unaffected), a publish, an SDK client on
 * `/mcp?codemode=search_and_execute` that searches and runs code calling a tool (which, flagged on
 * the server page, asks the agent's user for approval first), and the calls on
 * the Audit page (filtered to Code Mode, from the execute to its tool calls) and the Usage page.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { expect, test } from "@playwright/test";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { aliceWithToken, approveWeatherServer, OIDC_PORTAL, publishOnPortalPage, signInWithOidc, waitForPortal } from "@/testing/e2e/fixtures";

test("an admin turns Code Mode on, an agent searches and runs code through it, and the calls show in Audit and Usage", async ({ page }) => {
  test.setTimeout(120_000);
  const upstream = await startMutableServer({ port: 0 });
  const slug = `cm-${Date.now().toString(36)}`;
  try {
    await waitForPortal();
    await approveWeatherServer({ label: "codemode e2e", slug, url: upstream.url, tools: ["get_weather"] });

    await signInWithOidc(page, "alice", "/portal");
    const card = page.getByTestId("codemode-setting");
    await expect(card).toBeVisible();
    await card.getByLabel(/Opt-in/).check();
    await page.getByRole("button", { name: "Save Code Mode setting" }).click();
    await expect(page.getByTestId("codemode-saved")).toContainText("Opt-in");
    await expect(page.getByTestId("codemode-urls")).toContainText("/mcp?codemode=search_and_execute");
    await publishOnPortalPage(page);

    // The tool asks for the user's approval before a call from code (the server page's flag), published.
    await page.goto("/servers");
    await page.getByRole("link", { name: "Weather (codemode e2e)" }).first().click();
    const approvalCell = page.getByTestId("tool-row").filter({ hasText: "get_weather" }).getByTestId("tool-approval");
    await approvalCell.getByRole("combobox").selectOption("ask");
    await approvalCell.getByRole("button", { name: "Set" }).click();
    await expect(approvalCell).toContainText("saved: ask the user");
    await page.goto("/portal");
    await publishOnPortalPage(page);

    const { secret } = await aliceWithToken("codemode e2e");
    const asked: string[] = [];
    let client!: Client;
    await expect(async () => {
      client = new Client({ name: "e2e-codemode-agent", version: "1.0.0" }, { capabilities: { elicitation: {} } });
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked.push(request.params.message);
        return { action: "accept", content: {} };
      });
      await client.connect(new StreamableHTTPClientTransport(new URL("/mcp?codemode=search_and_execute", OIDC_PORTAL), { requestInit: { headers: { authorization: `Bearer ${secret}` } } }));
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["search", "execute"]);
    }).toPass({ timeout: 30_000 });
    const found = (await client.callTool({ name: "search", arguments: { query: "weather" } })) as { content: { text: string }[] };
    expect(found.content[0]!.text).toContain(`function ${slug.replace(/-/g, "_")}_get_weather(`);
    const ran = (await client.callTool({ name: "execute", arguments: { code: `const w = await codemode.${slug.replace(/-/g, "_")}_get_weather({ city: "Lima" });\nreturn { w };` } })) as { structuredContent: unknown; isError?: boolean };
    expect(ran.isError).toBeFalsy();
    expect(JSON.stringify(ran.structuredContent)).toContain("Lima");
    expect(asked).toEqual([expect.stringMatching(new RegExp(`Code Mode wants to call ${slug}_get_weather .*Lima.*Allow it\\?`))]);
    await client.close();

    // Audit: Code Mode only, then from the execute to the tool call it made.
    await expect(async () => {
      await page.goto("/audit?via=codemode");
      await expect(page.getByTestId("event-row").filter({ hasText: "get_weather" }).filter({ hasText: slug }).first()).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    await page.getByTestId("event-row").filter({ hasText: "execute" }).first().getByRole("link", { name: "its tool calls" }).click();
    await expect(page.getByTestId("event-row")).toHaveCount(1);
    await expect(page.getByTestId("event-row")).toContainText("get_weather");
    await page.screenshot({ path: "test-results/codemode-audit.png", fullPage: true });

    // Usage: the tokens Code Mode's list saved.
    await page.goto("/usage?days=1");
    // Saved, or added where the catalog is smaller than Code Mode's two tools (one small tool here): the page says which.
    await expect(page.getByTestId("usage-codemode")).toContainText(/Context tokens (saved|added)/);
    await expect(page.getByTestId("usage-codemode-server-row").filter({ hasText: slug })).toBeVisible();
    await page.screenshot({ path: "test-results/codemode-usage.png", fullPage: true });

    // Back to off, as the other specs expect the portal.
    await page.goto("/portal");
    await page.getByTestId("codemode-setting").getByLabel(/^Off/).check();
    await page.getByRole("button", { name: "Save Code Mode setting" }).click();
    await expect(page.getByTestId("codemode-saved")).toContainText("Off");
    await publishOnPortalPage(page);
    // Comparing the last two versions shows what this publish changed: Code Mode off again, and the tool's approval mark gone.
    await page.reload();
    await expect(page.getByTestId("diff-codemode")).toContainText("opt-in (search + execute) ⇒ off");
    // The deployments list says which versions had Code Mode on.
    await expect(page.locator("[data-testid^=deployment-]").filter({ hasText: "Code Mode opt-in" }).first()).toBeVisible();
    await expect(page.getByTestId("bundle-diff")).toContainText("Code Mode approval changed: get_weather");
    await page.screenshot({ path: "test-results/codemode-portal.png", fullPage: true });
  } finally {
    await upstream.close();
  }
});
