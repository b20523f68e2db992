/**
 * The Shadow MCP list at scale, in the browser: more findings than one page holds, "Next page" by
 * cursor (every finding exactly once, none twice), sorting by a column header, and the URL as the
 * page's state (a link opens the same page). The findings are resolved as false positives at the
 * end, so the open list other specs see is as it was.
 */
import { expect, test, type Page } from "@playwright/test";
import { adminApi as api, BOOTSTRAP_TOKEN, OIDC_CONSOLE, signInWithOidc } from "@/testing/e2e/fixtures";

const COUNT = 63;

/** A generic proxy log: one MCP tools/call to each of COUNT shadow servers of a unique host, n users on server n. */
function log(tag: string): string {
  const lines: string[] = [];
  for (let i = 0; i < COUNT; i++) {
    for (let u = 0; u <= i % 5; u++) {
      lines.push(
        JSON.stringify({
          ts: `2026-11-25T10:${String(i % 60).padStart(2, "0")}:00Z`,
          user: `user${u}@${tag}.test`,
          method: "POST",
          url: `https://mcp${String(i).padStart(2, "0")}.${tag}.example/mcp`,
          status: 200,
          request_headers: { "Content-Type": "application/json", "MCP-Protocol-Version": "2025-06-18" },
          request_body_prefix: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "search", arguments: { q: "x" } } }),
          response_content_type: "application/json",
        }),
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

const hostsOnPage = async (page: Page) => (await page.getByTestId("finding-row").locator("a").allTextContents()).map((t) => t.trim());

test("pages through more findings than a page holds, each once, sorts by a header, and the URL keeps the state", async ({ page }) => {
  test.setTimeout(120_000);
  const tag = `pg${Date.now().toString(36)}`;
  const res = await fetch(`${OIDC_CONSOLE}/api/v1/traffic?format=generic&filename=${tag}.ndjson`, { method: "POST", headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, "content-type": "application/x-ndjson" }, body: log(tag) });
  expect(res.status).toBe(200);
  const ids: string[] = [];
  try {
    await signInWithOidc(page, "alice", "/shadow");
    await page.goto(`${OIDC_CONSOLE}/shadow?${new URLSearchParams({ state: "open", q: tag, sort: "lastSeen", order: "desc" })}`);
    const first = await hostsOnPage(page);
    expect(first).toHaveLength(50);
    await page.getByRole("link", { name: "Next page →" }).click();
    await expect(page).toHaveURL(/cursor=/);
    const second = await hostsOnPage(page);
    expect(second).toHaveLength(COUNT - 50);
    await expect(page.getByRole("link", { name: "Next page →" })).toHaveCount(0);
    // Every finding exactly once across the two pages.
    const all = [...first, ...second];
    expect(new Set(all).size).toBe(COUNT);
    expect(all.every((h) => h.includes(`.${tag}.example`))).toBe(true);

    // The URL is the state: opening it again shows the same second page.
    const url = page.url();
    await page.goto(url);
    expect(await hostsOnPage(page)).toEqual(second);

    // Sorting by Users (most first): server n has 1 + n % 5 users, so the first page starts with five-user servers.
    await page.getByRole("link", { name: "← First page" }).click();
    await page.getByTitle("Sort by users").click();
    await expect(page).toHaveURL(/sort=users/);
    const byUsers = page.getByTestId("finding-row");
    await expect(byUsers).toHaveCount(50);
    const users = (await byUsers.locator("td:nth-child(3)").allTextContents()).map(Number);
    expect(users[0]).toBe(5);
    expect([...users].sort((a, b) => b - a)).toEqual(users);
    // Ascending on a second click.
    await page.getByTitle("Sort by users").click();
    await expect(page).toHaveURL(/order=asc/);
    await expect(byUsers.first().locator("td:nth-child(3)")).toHaveText("1");

    for (let cursor: string | null = null; ; ) {
      const listed: { findings: { id: string }[]; nextCursor: string | null } = await api("GET", `/shadow/findings?${new URLSearchParams({ q: tag, limit: "500", ...(cursor ? { cursor } : {}) })}`);
      ids.push(...listed.findings.map((f) => f.id));
      if (!listed.nextCursor) break;
      cursor = listed.nextCursor;
    }
    expect(ids).toHaveLength(COUNT);
  } finally {
    for (const id of ids) await api("PATCH", `/shadow/findings/${id}`, { state: "resolved", resolution: "false_positive", note: "shadow-paging e2e" }).catch(() => undefined);
  }
});
