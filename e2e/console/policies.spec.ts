/**
 * Access policies end to end, as an admin meets them: write a deny rule in the browser, ask the
 * simulator, see the impact preview on the Portal page, publish, and watch the portal Worker refuse
 * the MCP call it allowed a moment before.
 */
import { expect, test } from "@playwright/test";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { aliceWithToken, approveWeatherServer, callWeatherThroughPortal, publishOnPortalPage, signInWithOidc, waitForPortal } from "@/testing/e2e/fixtures";


/** "allowed", "refused" (the portal's refusal), or what else happened. */
async function callWeather(secret: string, slug: string): Promise<string> {
  const outcome = await callWeatherThroughPortal(secret, slug);
  return outcome.startsWith("refused:") && outcome.includes("not available") ? "refused" : outcome;
}

test("write a deny rule, see the simulator's answer and the impact, publish, and the portal refuses the call", async ({ page }) => {
  test.setTimeout(120_000);
  const upstream = await startMutableServer({ port: 0 });
  const slug = `pol-${Date.now().toString(36)}`;
  try {
    await waitForPortal();
    await approveWeatherServer({ label: "policy e2e", slug, url: upstream.url, tools: ["get_weather", "list_forecasts"] });

    await signInWithOidc(page, "alice", "/portal");
    await publishOnPortalPage(page);

    const { alice, secret } = await aliceWithToken("policy e2e");
    await expect.poll(() => callWeather(secret, slug), { timeout: 30_000 }).toBe("allowed");

    // The deny rule, written in the browser.
    await page.goto("/policies");
    await expect(page.getByRole("heading", { name: "Policies", exact: true })).toBeVisible();
    const name = `No weather for Alice ${slug}`;
    const editor = page.locator("form").filter({ has: page.getByRole("button", { name: "Create policy" }) });
    await editor.getByLabel("Name", { exact: true }).fill(name);
    await editor.getByLabel("Effect").selectOption("deny");
    await editor.getByLabel("Who").fill(`user:${alice.email}`);
    await editor.getByLabel("Server").selectOption(slug);
    await editor.getByLabel("Tool").fill("get_*");
    await editor.getByLabel("Priority").fill("200");
    await editor.getByRole("button", { name: "Create policy" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
    await expect(page.getByTestId("policy-row").filter({ hasText: name })).toBeVisible();

    // The simulator answers with the deciding rule, before anything is published.
    const simulator = page.locator("form").filter({ has: page.getByRole("button", { name: "Check" }) });
    await simulator.getByLabel("User").fill(alice.email);
    await simulator.getByLabel("Tool").fill(`${slug}_get_weather`);
    await simulator.getByRole("button", { name: "Check" }).click();
    await expect(page.getByTestId("simulation-result")).toContainText("Deny");
    await expect(page.getByTestId("simulation-result")).toContainText(`Denied by policy "${name}".`);
    await simulator.getByLabel("Tool").fill(`${slug}_list_forecasts`);
    await simulator.getByRole("button", { name: "Check" }).click();
    await expect(page.getByTestId("simulation-result")).toContainText("Allow");

    // Still allowed at the edge: nothing is published yet. The Portal page says what publishing changes.
    expect(await callWeather(secret, slug)).toBe("allowed");
    await page.goto("/portal");
    const lost = page.getByTestId("impact-row").filter({ hasText: `${slug}_get_weather` }).filter({ hasText: alice.email });
    await expect(lost).toContainText("lost");
    await expect(lost).toContainText(name);
    await publishOnPortalPage(page);

    await expect.poll(() => callWeather(secret, slug), { timeout: 30_000 }).toBe("refused");
  } finally {
    await upstream.close();
  }
});
