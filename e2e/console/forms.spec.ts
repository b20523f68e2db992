/**
 * What a newcomer trips on in the console's forms (issue 16): values that vanish after a server-side
 * error, a one-click deny-all, tools that change data approved without a hint, names that stretch a
 * page, slugs typed by hand, and a token page that does not say where the token works.
 */
import { expect, test, type Page } from "@playwright/test";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { adminApi, signInWithOidc } from "@/testing/e2e/fixtures";

const tag = () => Date.now().toString(36);

/** The page is no wider than the window: nothing (a long name) pushes it sideways. */
async function expectNoSidewaysScroll(page: Page) {
  const { scroll, view } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: window.innerWidth }));
  expect(scroll).toBeLessThanOrEqual(view);
}

test("forms keep what was typed after a server-side error, and show it beside the field in words", async ({ page }) => {
  const t = tag();
  await signInWithOidc(page, "alice", "/policies");

  // A new policy: nothing harmful is preselected, the scope is asked for.
  const editor = page.locator("form").filter({ has: page.getByRole("button", { name: "Create policy" }) });
  await expect(editor.getByLabel("Effect")).toHaveValue("");
  await expect(editor.getByLabel("Server")).toHaveValue("");
  await editor.getByLabel("Name", { exact: true }).fill(`Kept ${t}`);
  await editor.getByLabel("Who").fill("everyone");
  await editor.getByRole("button", { name: "Create policy" }).click();
  // The browser asks for the effect; nothing was saved.
  expect(await editor.getByLabel("Effect").evaluate((el: HTMLSelectElement) => el.validity.valueMissing)).toBe(true);

  await editor.getByLabel("Effect").selectOption("allow");
  // A subject nobody matches: the saved policy changes nothing for the other specs.
  await editor.getByLabel("Who").fill(`domain:nobody-${t}.example`);
  await editor.getByLabel("Server").selectOption("*");
  await editor.getByLabel("Priority").fill("high");
  await editor.getByRole("button", { name: "Create policy" }).click();
  await expect(editor.locator('[data-field-error="priority"]')).toHaveText("must be a number");
  await expect(editor.getByLabel("Name", { exact: true })).toHaveValue(`Kept ${t}`);
  await expect(editor.getByLabel("Effect")).toHaveValue("allow");
  await expect(editor.getByLabel("Who")).toHaveValue(`domain:nobody-${t}.example`);
  await expect(editor.getByLabel("Priority")).toHaveValue("high");
  // Corrected, it saves, and the form starts over for the next one.
  await editor.getByLabel("Priority").fill("250");
  await editor.getByRole("button", { name: "Create policy" }).click();
  await expect(editor.getByRole("status")).toContainText("Saved");
  await expect(editor.getByLabel("Name", { exact: true })).toHaveValue("");
  const { policies } = await adminApi<{ policies: { id: string; name: string }[] }>("GET", "/policies");
  const created = policies.find((p) => p.name === `Kept ${t}`);
  expect(created).toBeDefined();
  await adminApi("DELETE", `/policies/${created!.id}`);

  // A budget with a limit that is not a number.
  await page.goto("/budgets");
  const budget = page.locator("form").filter({ has: page.getByRole("button", { name: "Create budget" }) });
  await budget.getByLabel("Name", { exact: true }).fill(`Budget ${t}`);
  await budget.getByLabel("Who").fill("user:alice@acme.test");
  await budget.getByLabel("Limit").fill("lots");
  await budget.getByRole("button", { name: "Create budget" }).click();
  await expect(budget.locator('[data-field-error="limit"]')).not.toBeEmpty();
  await expect(budget.getByLabel("Name", { exact: true })).toHaveValue(`Budget ${t}`);
  await expect(budget.getByLabel("Limit")).toHaveValue("lots");

  // A provider whose slug is not a slug.
  await page.goto("/gateway");
  const provider = page.locator("form").filter({ has: page.getByRole("button", { name: "Add provider" }) });
  await provider.getByLabel("Slug").fill("Not A Slug");
  await provider.getByLabel("Name", { exact: true }).fill(`Provider ${t}`);
  await provider.getByLabel("Base URL").fill("https://llm.example.com/v1");
  await provider.getByRole("button", { name: "Add provider" }).click();
  await expect(provider.locator('[data-field-error="slug"]')).not.toBeEmpty();
  await expect(provider.getByLabel("Name", { exact: true })).toHaveValue(`Provider ${t}`);
  await expect(provider.getByLabel("Base URL")).toHaveValue("https://llm.example.com/v1");
});

test("review marks tools that may change data, and long names do not stretch the page", async ({ page }) => {
  const upstream = await startMutableServer({ port: 0 });
  try {
    upstream.mutate("annotate");
    const name = `Long${"x".repeat(96)}`;
    const server = await adminApi<{ id: string }>("POST", "/servers", { name, slug: `rev-${tag()}`, url: upstream.url, justification: "review marks" });
    await signInWithOidc(page, "alice", `/servers/${server.id}/review`);
    const row = (tool: string) => page.getByTestId("review-tool").filter({ hasText: tool });
    await expect(row("delete_station").getByTestId("tool-effect")).toHaveText("destructive");
    await expect(row("get_weather").getByTestId("tool-effect")).toHaveCount(0);
    await expect(page.getByTestId("review-effects")).toContainText("1 of 3 tools may change data");
    // The choice stays with the reviewer, one click away.
    await expect(page.getByLabel("Enable delete_station")).toBeChecked();
    await page.getByRole("button", { name: "Untick tools that may change data" }).click();
    await expect(page.getByLabel("Enable delete_station")).not.toBeChecked();
    await expect(page.getByLabel("Enable get_weather")).toBeChecked();
    await expectNoSidewaysScroll(page);
    for (const path of [`/servers/${server.id}`, "/servers"]) {
      await page.goto(path);
      await expect(page.getByText(name).first()).toBeVisible();
      await expectNoSidewaysScroll(page);
    }
    await adminApi("POST", `/servers/${server.id}/reject`, { reason: "e2e clean-up" });
  } finally {
    await upstream.close();
  }
});

test("a team's slug fills in from its name, and the tokens page says where a token works", async ({ page }) => {
  await signInWithOidc(page, "alice", "/settings/teams");
  const form = page.locator("form").filter({ has: page.getByRole("button", { name: "Create team" }) });
  await form.getByLabel("Name", { exact: true }).fill("Données Science Unit");
  await expect(form.getByLabel("Slug")).toHaveValue("donnees-science-unit");
  // Once edited by hand, the slug stays as typed.
  await form.getByLabel("Slug").fill("data-sci");
  await form.getByLabel("Name", { exact: true }).fill("Data Science");
  await expect(form.getByLabel("Slug")).toHaveValue("data-sci");

  await page.goto("/settings/tokens");
  await expect(page.getByTestId("token-portal-use")).toContainText("/mcp");
  await expect(page.getByTestId("token-portal-use")).toContainText("/llm/<provider>/v1");
});
