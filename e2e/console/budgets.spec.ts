/**
 * Budgets end to end: an admin adds an LLM provider (the fake OpenAI-style provider, the real wire
 * format) on the Gateway page, creates a token budget on the Budgets page and publishes; calls
 * through the portal's LLM gateway use it up, the gateway answers 429 with Retry-After, and the
 * Budgets page shows the bar at 100 % (from the usage events the portal delivered).
 */
import { expect, test } from "@playwright/test";
import { startFakeLlmProvider } from "@/testing/servers/fake-llm-provider.mjs";
import { adminApi as api, OIDC_PORTAL, publishOnPortalPage, signInWithOidc, waitForPortal } from "@/testing/e2e/fixtures";


test("create a budget, exhaust it through the LLM gateway, see the 429 and the budget bar at 100 %", async ({ page }) => {
  test.setTimeout(150_000);
  const fake = await startFakeLlmProvider({ expectedKey: "sk-e2e-provider-key-0123456789" });
  const slug = `fake${Date.now().toString(36)}`;
  try {
    await waitForPortal();
    await signInWithOidc(page, "alice", "/gateway");
    // The budget's owner: a member of their own, so other specs' users keep their allowance.
    const dev = await api<{ id: string; email: string }>("POST", "/users", { email: `dev-${slug}@acme.test`, role: "member" });

    // The provider, with its key (write-only from here on).
    const providerForm = page.locator("form").filter({ has: page.getByRole("button", { name: "Add provider" }) });
    await providerForm.getByLabel("Slug").fill(slug);
    await providerForm.getByLabel("Name", { exact: true }).fill("Fake OpenAI (e2e)");
    await providerForm.getByLabel("Kind").selectOption("openai");
    await providerForm.getByLabel("Base URL").fill(`${fake.url}/v1`);
    await providerForm.getByLabel("API key").fill("sk-e2e-provider-key-0123456789");
    await providerForm.getByRole("button", { name: "Add provider" }).click();
    await expect(page.getByTestId("provider-row").filter({ hasText: slug })).toBeVisible();
    await expect(page.locator("body")).not.toContainText("sk-e2e-provider-key-0123456789");

    // A daily token budget for the developer: 20 tokens (each call below costs 4 in + 5 out).
    await page.goto("/budgets");
    const name = `Dev daily ${slug}`;
    const budgetForm = page.locator("form").filter({ has: page.getByRole("button", { name: "Create budget" }) });
    await budgetForm.getByLabel("Name", { exact: true }).fill(name);
    await budgetForm.getByLabel("Who").fill(`user:${dev.email}`);
    await budgetForm.getByLabel("Metric").selectOption("tokens");
    await budgetForm.getByLabel("Limit").fill("20");
    await budgetForm.getByLabel("Period").selectOption("day");
    await budgetForm.getByLabel("When exceeded").selectOption("block");
    await budgetForm.getByRole("button", { name: "Create budget" }).click();
    const card = page.getByTestId("budget-card").filter({ hasText: name });
    await expect(card).toBeVisible();
    await expect(card.getByTestId("budget-bar")).toHaveAttribute("aria-valuenow", "0");

    await page.goto("/portal");
    await publishOnPortalPage(page);

    // The developer's agent calls the gateway with a Portcullis token until the budget stops it.
    // LLM calls spend budget: the token needs the write scope.
    const { secret } = await api<{ secret: string }>("POST", "/tokens", { name: "budget e2e", scopes: ["read", "write"], expiresInDays: 1, userId: dev.id });
    const chat = () =>
      fetch(`${OIDC_PORTAL}/llm/${slug}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-test-1", messages: [{ role: "user", content: "hello there general kenobi" }] }),
      });
    // The token reaches the edge with the next identity sync (seconds).
    await expect.poll(async () => (await chat()).status, { timeout: 30_000 }).toBe(200);
    let refused: Response | null = null;
    for (let i = 0; i < 10 && !refused; i++) {
      const res = await chat();
      if (res.status === 429) refused = res;
      else expect(res.status).toBe(200);
    }
    expect(refused).not.toBeNull();
    expect(Number(refused!.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await refused!.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("budget_exceeded");
    expect(body.error.message).toContain(name);
    // The provider saw its own key, never the caller's token.
    expect(fake.requests().every((r) => r.headers.authorization === "Bearer sk-e2e-provider-key-0123456789")).toBe(true);

    // The Budgets page, from the usage the portal delivered: at (or past) 100 %.
    await expect(async () => {
      await page.goto("/budgets");
      const bar = page.getByTestId("budget-card").filter({ hasText: name }).getByTestId("budget-bar");
      expect(Number(await bar.getAttribute("aria-valuenow"))).toBeGreaterThanOrEqual(100);
    }).toPass({ timeout: 30_000 });
    // Three calls of 9 tokens were admitted while spend was under 20 (no output cap to reserve): 27 of 20.
    await expect(page.getByTestId("budget-card").filter({ hasText: name }).getByTestId("budget-bar")).toHaveAttribute("data-level", "exceeded");
    await expect(page.getByTestId("budget-card").filter({ hasText: name }).getByTestId("budget-bar")).toContainText("135%");
  } finally {
    await fake.close();
  }
});
