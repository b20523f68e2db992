/**
 * "Log for two weeks, then block", as security rolls a block out in the browser: upload a proxy log,
 * open the finding and its evidence, block it logging for 14 days, see who would be cut off (the
 * people in the upload), notify them (a chat webhook receives the message; the affected admin sees
 * it on her Overview), and download the Cloudflare Gateway rules, whose log rule names the date.
 * The entry is removed at the end: the block list is shared by every spec.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { BOOTSTRAP_TOKEN, OIDC_CONSOLE, signInWithOidc } from "@/testing/e2e/fixtures";
import { startWebhookReceiver } from "@/testing/webhook-receiver";

const DAY = 86_400_000;

/** A generic proxy log: MCP calls to one shadow server by three people over the last days, and a web page. */
function proxyLog(url: string, now: number): string {
  const at = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();
  const call = (user: string, daysAgo: number, tool: string) =>
    JSON.stringify({
      ts: at(daysAgo),
      user,
      method: "POST",
      url,
      status: 200,
      request_headers: { "Content-Type": "application/json", "MCP-Protocol-Version": "2025-06-18" },
      request_body_prefix: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: tool, arguments: {} } }),
      response_content_type: "text/event-stream",
    });
  return [
    call("dana@acme.test", 10, "search_notes"),
    call("dana@acme.test", 2, "search_notes"),
    call("erik@acme.test", 1, "delete_note"),
    call("alice@acme.test", 0, "search_notes"),
    JSON.stringify({ ts: at(0), user: "erik@acme.test", method: "GET", url: "https://news.example.com/", status: 200, response_content_type: "text/html" }),
  ].join("\n");
}

test("block a finding logging for 14 days: who would be cut off, notify them, and the Gateway log rule", async ({ page }) => {
  test.setTimeout(120_000);
  const slug = `roll-${Date.now().toString(36)}`;
  const shadowUrl = `https://mcp.${slug}.example/mcp`;
  const file = path.join(os.tmpdir(), `${slug}.ndjson`);
  // A chat webhook on loopback (the e2e console allows 127.0.0.0/8 upstreams).
  const webhook = await startWebhookReceiver<{ text: string }>("/services/T1/B1/e2e-secret");
  const now = Date.now();
  const enforceDate = new Date(now + 14 * DAY).toISOString().slice(0, 10);
  const enforceLabel = new Date(`${enforceDate}T00:00:00Z`).toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  let entryId: string | undefined;
  try {
    await writeFile(file, `${proxyLog(shadowUrl, now)}\n`);
    await signInWithOidc(page, "alice", "/shadow");
    await expect(page.getByRole("heading", { name: "Shadow MCP", exact: true })).toBeVisible();
    await page.getByLabel("Log file (NDJSON)").setInputFiles(file);
    await page.getByRole("button", { name: "Upload and scan" }).click();
    await expect(page.getByTestId("upload-status")).toContainText("1 shadow MCP server (1 new)");

    // The finding and its evidence.
    await page.getByTestId("finding-row").filter({ hasText: shadowUrl }).getByRole("link", { name: shadowUrl }).click();
    await expect(page.getByRole("heading", { name: `Shadow MCP server mcp.${slug}.example` })).toBeVisible();
    await expect(page.getByTestId("evidence")).toContainText("tools/call");
    await expect(page.getByText("dana@acme.test").first()).toBeVisible();

    // Block it, logging first: the date offered is 14 days from today.
    await page.getByLabel("Move to").selectOption("resolved:blocked");
    await page.getByLabel("Log first, then block").check();
    await expect(page.getByLabel("Block from (UTC)")).toHaveValue(enforceDate);
    await page.getByLabel("Note").fill("Notes server outside the portal; two weeks to request it.");
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByText("on the block list")).toBeVisible();
    await expect(page.getByText(`Logging — blocks on ${enforceLabel} (in 14 days)`)).toBeVisible();
    await expect(page.getByTestId("timeline")).toContainText(`logging first, blocks on ${enforceLabel}`);

    // Who would be cut off: nobody through the portal yet; the people of the upload outside it.
    await page.getByRole("link", { name: "Who would be cut off, notify them, change the rollout" }).click();
    await expect(page.getByRole("heading", { name: "Block-list entry" })).toBeVisible();
    entryId = page.url().split("/shadow/blocks/")[1]!.split("?")[0];
    await expect(page.getByTestId("rollout-status")).toHaveText(`Logging — blocks on ${enforceLabel} (in 14 days)`);
    await expect(page.getByTestId("portal-empty")).toContainText("Nobody called a server this entry covers through the portal in the last 14 days");
    const traffic = page.getByTestId("traffic-impact");
    for (const [who, requests] of [
      ["dana@acme.test", "2"],
      ["erik@acme.test", "1"],
      ["alice@acme.test", "1"],
    ] as const) {
      await expect(traffic.getByRole("row").filter({ hasText: who })).toContainText(requests);
    }
    await expect(traffic).toContainText("4 requests in uploaded logs over the last 14 days");
    // A shorter window leaves out dana's older call.
    await page.getByRole("link", { name: "7 days" }).click();
    await expect(page.getByTestId("traffic-impact")).toContainText("3 requests in uploaded logs over the last 7 days");
    await page.getByRole("link", { name: "14 days" }).click();
    await expect(page.getByTestId("traffic-impact")).toContainText("over the last 14 days");

    // Notify them: the message says what and when and links the prefilled request; a chat webhook gets it too.
    const message = page.getByLabel("Message");
    await expect(message).toHaveValue(new RegExp(`From ${enforceLabel} \\(in 14 days\\), calls through the Portcullis portal to ${shadowUrl.replace(/[./]/g, "\\$&")}`));
    await expect(message).toHaveValue(/http:\/\/localhost:3100\/servers\/new\?name=/);
    await expect(page.getByLabel("E-mail addresses")).toHaveValue("dana@acme.test, alice@acme.test, erik@acme.test");
    await page.getByLabel("Chat webhook (optional)").fill(webhook.url);
    await page.getByRole("button", { name: "Notify 3 people" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Sent: shown to 3 people in the console" })).toContainText("sent");
    expect(webhook.received.map((r) => r.body.text)).toEqual([expect.stringContaining(`From ${enforceLabel} (in 14 days)`)]);
    await expect(page.getByTestId("notices")).toContainText("shown to 3 people in the console; webhook http://127.0.0.1:");
    await expect(page.getByTestId("notices")).not.toContainText("e2e-secret");

    // Alice used it too: the notice is on her Overview, with the link to request the server, until she dismisses it.
    await page.goto("/");
    const notice = page.getByTestId("block-notice").filter({ hasText: shadowUrl });
    await expect(notice).toContainText(`Logging — blocks on ${enforceLabel}`);
    const request = notice.getByRole("link", { name: /\/servers\/new\?/ });
    await expect(request).toHaveAttribute("href", new RegExp(`url=${encodeURIComponent(shadowUrl).replace(/[.]/g, "\\.")}`));
    await notice.getByRole("button", { name: "Dismiss" }).click();
    await expect(page.getByTestId("block-notice").filter({ hasText: shadowUrl })).toHaveCount(0);

    // The Cloudflare Gateway export: the entry is in the log (Allow) rule, with its date.
    await page.goto("/shadow?state=all");
    await expect(page.getByTestId("block-row").filter({ hasText: shadowUrl })).toContainText(`Logging — blocks on ${enforceLabel} (in 14 days)`);
    const downloading = page.waitForEvent("download");
    await page.getByRole("link", { name: "Cloudflare Gateway policy (JSON)" }).click();
    const download = await downloading;
    const { rules } = JSON.parse(await readFile((await download.path())!, "utf8")) as { rules: { name: string; action: string; traffic: string; description: string }[] };
    const log = rules.find((r) => r.action === "allow")!;
    expect(log.name).toBe("Portcullis: log shadow MCP servers (would block)");
    expect(log.traffic.split(" and not (")[0]).toContain(`mcp.${slug}.example`);
    expect(log.description).toContain(`${shadowUrl}: switch to block on ${enforceDate}`);
    expect(rules.filter((r) => r.action === "block").every((r) => !r.traffic.includes(`mcp.${slug}.example`))).toBe(true);
  } finally {
    // The block list is shared by every spec: remove the entry (its notices go with it; its finding is reopened).
    if (entryId) {
      const res = await fetch(`${OIDC_CONSOLE}/api/v1/shadow/blocklist/${entryId}`, { method: "DELETE", headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}` } });
      expect(res.status).toBe(204);
    }
    await webhook.close();
    await rm(file, { force: true });
  }
});
