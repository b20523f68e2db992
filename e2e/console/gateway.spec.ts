/**
 * The Gateway page tests a provider on save: an admin adds one whose host does not resolve, sees it
 * saved with a warning that says why calls will fail, fixes its base URL (the fake OpenAI-style
 * provider, the real models-list format) and sees it reachable, then "Test again" after the
 * provider went away. The key never shows on the page. The provider is removed at the end.
 */
import { expect, test } from "@playwright/test";
import { startFakeLlmProvider } from "@/testing/servers/fake-llm-provider.mjs";
import { adminApi as api, signInWithOidc } from "@/testing/e2e/fixtures";

const KEY = "sk-e2e-check-key-0123456789";

test("a provider is tested on save: saved with a warning when unreachable, reachable once fixed, tested again on demand", async ({ page }) => {
  const fake = await startFakeLlmProvider({ expectedKey: KEY, models: ["gpt-a", "gpt-b", "gpt-c"] });
  const slug = `check${Date.now().toString(36)}`;
  const name = `Unreachable ${slug}`;
  try {
    await signInWithOidc(page, "alice", "/gateway");
    const addForm = page.locator("form").filter({ has: page.getByRole("button", { name: "Add provider" }) });
    await addForm.getByLabel("Slug").fill(slug);
    await addForm.getByLabel("Name", { exact: true }).fill(name);
    await addForm.getByLabel("Kind").selectOption("openai");
    await addForm.getByLabel("Base URL").fill(`https://llm.${slug}.invalid/v1`);
    await addForm.getByLabel("API key").fill(KEY);
    await addForm.getByRole("button", { name: "Add provider" }).click();

    // Saved anyway, with the reason, and listed.
    const note = addForm.getByTestId("provider-check-note");
    await expect(note).toContainText("Saved, but the provider failed its test");
    await expect(note).toContainText(`The host name "llm.${slug}.invalid" did not resolve`);
    await expect(note).toContainText(`Calls through /llm/${slug}/v1 will fail until this is fixed.`);
    const row = page.getByTestId("provider-row").filter({ hasText: slug });
    await expect(row).toBeVisible();
    await expect(row.getByTestId("provider-check")).toContainText("failing");
    await expect(row.getByTestId("provider-check")).toContainText("did not resolve");
    await expect(page.locator("body")).not.toContainText(KEY);

    // Fixed: the edit tests again, with the stored key.
    await row.getByRole("link", { name: "Edit" }).click();
    await expect(page.getByRole("heading", { name: `Edit "${name}"` })).toBeVisible();
    const editForm = page.locator("form").filter({ has: page.getByRole("button", { name: "Save provider" }) });
    await editForm.getByLabel("Base URL").fill(`${fake.url}/v1`);
    await editForm.getByRole("button", { name: "Save provider" }).click();
    await expect(row.getByTestId("provider-check")).toContainText("reachable");
    await expect(row.getByTestId("provider-check")).toContainText(`Reached 127.0.0.1:${fake.port}: 3 models listed.`);
    expect(fake.requests().map((r) => [r.method, r.path, r.headers.authorization])).toEqual([["GET", "/v1/models", `Bearer ${KEY}`]]);

    // The provider goes away; "Test again" says so.
    await fake.close();
    await row.getByRole("button", { name: "Test again" }).click();
    await expect(row.getByTestId("provider-check")).toContainText("failing");
    await expect(row.getByTestId("provider-check")).toContainText(`Nothing accepted a connection at 127.0.0.1:${fake.port} (ECONNREFUSED)`);
    await expect(page.locator("body")).not.toContainText(KEY);
  } finally {
    await fake.close();
    const { providers } = await api<{ providers: { id: string; slug: string }[] }>("GET", "/llm/providers");
    for (const p of providers.filter((p) => p.slug === slug)) await api("DELETE", `/llm/providers/${p.id}`);
  }
});
