/**
 * Shadow MCP end to end, as security meets it: upload a proxy log in the browser, see the shadow
 * servers it contains, triage one to blocked, download the Cloudflare Gateway policy, publish —
 * and the portal Worker refuses the blocked host, which is now in the bundle's block list.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { adminApi as api, aliceWithToken, approveWeatherServer, callWeatherThroughPortal, publishOnPortalPage, signInWithOidc, waitForPortal } from "@/testing/e2e/fixtures";


/** "allowed", "blocked" (the portal's refusal), or what else happened. */
async function callWeather(secret: string, slug: string): Promise<string> {
  const outcome = await callWeatherThroughPortal(secret, slug);
  return outcome.startsWith("refused:") && outcome.includes("blocked by your security team") ? "blocked" : outcome;
}

/** A generic proxy log: MCP traffic to two shadow servers among ordinary requests, and one broken line. */
function proxyLog(shadowUrl: string, vendorUrl: string): string {
  const mcp = (url: string, user: string, minute: number, body: string) =>
    JSON.stringify({
      ts: `2026-11-24T09:${String(minute).padStart(2, "0")}:00Z`,
      user,
      src_ip: "10.1.2.3",
      method: "POST",
      url,
      status: 200,
      request_headers: { "Content-Type": "application/json", "MCP-Protocol-Version": "2025-06-18" },
      request_body_prefix: body,
      response_content_type: "text/event-stream",
    });
  const call = (tool: string) => JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: tool, arguments: {} } });
  const lines = [
    JSON.stringify({ ts: "2026-11-24T09:00:00Z", user: "dana@acme.test", method: "GET", url: "https://news.example.com/", status: 200, response_content_type: "text/html" }),
    mcp(shadowUrl, "dana@acme.test", 1, JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "cursor", version: "1" } } })),
    mcp(shadowUrl, "dana@acme.test", 2, call("create_issue")),
    mcp(shadowUrl, "erik@acme.test", 3, call("delete_repo")),
    mcp(shadowUrl, "fay@acme.test", 4, call("list_issues")),
    "{not json",
    mcp(vendorUrl, "gus@acme.test", 5, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" })),
    JSON.stringify({ ts: "2026-11-24T09:06:00Z", user: "gus@acme.test", method: "POST", url: "https://rpc.eth.example/", status: 200, request_body_prefix: '{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[]}' }),
  ];
  return `${lines.join("\n")}\n`;
}

test("upload a log, triage a finding to blocked, export the Gateway policy, publish, and the portal refuses the host", async ({ page }) => {
  test.setTimeout(150_000);
  const upstream = await startMutableServer({ port: 0 });
  const slug = `shd-${Date.now().toString(36)}`;
  const origin = new URL(upstream.url).origin;
  // Same host and port as the approved server, another path: shadow (matching is by full origin and path).
  const shadowUrl = `${origin}/shadow/mcp`;
  const vendorUrl = `https://mcp.${slug}.example/mcp`;
  const file = path.join(os.tmpdir(), `${slug}.ndjson`);
  try {
    await waitForPortal();
    await approveWeatherServer({ label: "shadow e2e", slug, url: upstream.url, tools: ["get_weather"] });

    await signInWithOidc(page, "alice", "/portal");
    await publishOnPortalPage(page);
    const { secret } = await aliceWithToken("shadow e2e");
    await expect.poll(() => callWeather(secret, slug), { timeout: 30_000 }).toBe("allowed");

    // Upload in the browser, with its progress bar and summary.
    await writeFile(file, proxyLog(shadowUrl, vendorUrl));
    await page.goto("/shadow");
    await expect(page.getByRole("heading", { name: "Shadow MCP", exact: true })).toBeVisible();
    await page.getByLabel("Log file (NDJSON)").setInputFiles(file);
    await page.getByRole("button", { name: "Upload and scan" }).click();
    await expect(page.getByTestId("upload-status")).toContainText("2 shadow MCP servers (2 new)");
    await expect(page.getByTestId("upload-status")).toContainText("1 bad line (first: line 6");
    // Done, but with a line it could not read: amber, not green.
    await expect(page.getByRole("progressbar", { name: "Upload progress" })).toHaveAttribute("data-outcome", "partial");
    await expect(page.getByRole("progressbar", { name: "Upload progress" })).toHaveAttribute("aria-valuenow", "100");

    const row = page.getByTestId("finding-row").filter({ hasText: shadowUrl });
    await expect(row).toBeVisible();
    await expect(row).toContainText("high");
    await expect(row).toContainText("new");
    await expect(page.getByTestId("finding-row").filter({ hasText: vendorUrl })).toBeVisible();

    // The finding: evidence and users, then triage to blocked (the whole origin).
    await row.getByRole("link", { name: shadowUrl }).click();
    await expect(page.getByRole("heading", { name: /Shadow MCP server 127\.0\.0\.1/ })).toBeVisible();
    await expect(page.getByTestId("evidence")).toContainText("tools/call");
    await expect(page.getByText("erik@acme.test").first()).toBeVisible();
    await page.getByLabel("Move to").selectOption("resolved:blocked");
    await page.getByRole("combobox", { name: "Block", exact: true }).selectOption("origin");
    await page.getByLabel("Note").fill("Unapproved server on the weather host; blocking the host until reviewed.");
    await page.getByRole("button", { name: "Save" }).click();
    // The whole origin covers the approved weather server: the form warns, names it, and keeps what was typed.
    await expect(page.locator('[data-field-error="blockScope"]')).toContainText(`would block the approved server "Weather (shadow e2e)" (${slug})`);
    await expect(page.getByRole("alert").filter({ hasText: "Block approved servers too" })).toBeVisible();
    await expect(page.getByLabel("Note")).toHaveValue("Unapproved server on the weather host; blocking the host until reviewed.");
    await expect(page.getByRole("combobox", { name: "Block", exact: true })).toHaveValue("origin");
    await page.getByLabel("Block approved servers too").check();
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByText("on the block list")).toBeVisible();
    await expect(page.getByTestId("timeline")).toContainText("new → resolved (blocked)");
    await expect(page.getByTestId("timeline")).toContainText("Unapproved server on the weather host");

    // The block list and its Cloudflare Gateway export.
    await page.goto("/shadow?state=all");
    // The entry's reason is the note written when blocking.
    await expect(page.getByTestId("block-row").filter({ hasText: origin })).toContainText("Unapproved server on the weather host");
    const downloading = page.waitForEvent("download");
    await page.getByRole("link", { name: "Cloudflare Gateway policy (JSON)" }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe("portcullis-gateway-http-policy.json");
    const { rules } = JSON.parse(await readFile((await download.path())!, "utf8")) as { rules: { action: string; filters: string[]; traffic: string }[] };
    const policy = rules.find((r) => r.action === "block")!;
    expect(policy.filters).toEqual(["http"]);
    expect(policy.traffic).toContain("127.0.0.1");

    // Still allowed until publishing; then the edge refuses the host, and the bundle says why.
    expect(await callWeather(secret, slug)).toBe("allowed");
    await page.goto("/portal");
    await publishOnPortalPage(page);
    await expect.poll(() => callWeather(secret, slug), { timeout: 30_000 }).toBe("blocked");
    const { deployments } = await api<{ deployments: { version: number }[] }>("GET", "/config/deployments");
    const latest = await api<{ bundle: { shadow: { blocklist: { origin: string; pathPrefix: string }[] } } }>("GET", `/config/deployments/${deployments[0]!.version}`);
    expect(latest.bundle.shadow.blocklist).toContainEqual(expect.objectContaining({ origin, pathPrefix: "" }));

    // The other finding is adopted instead: Approve opens the registration request, filled in.
    await page.goto("/shadow?state=open");
    await page.getByTestId("finding-row").filter({ hasText: vendorUrl }).getByRole("link", { name: vendorUrl }).click();
    await page.getByRole("button", { name: "Approve and request registration" }).click();
    await expect(page).toHaveURL(/\/servers\/new\?/);
    await expect(page.getByLabel("URL", { exact: true })).toHaveValue(vendorUrl);
    await expect(page.getByLabel("Name", { exact: true })).toHaveValue(`mcp.${slug}.example`);
    await expect(page.getByLabel("Why does your team need it?")).toHaveValue(/shadow MCP finding/);
    const findingPage = new URL(page.url()).searchParams.get("finding");
    // Its host does not resolve: the registration fails, the error sits beside the URL, and what was typed stays.
    await page.getByLabel("Slug", { exact: true }).fill(`${slug}-vendor`);
    await page.getByLabel("Description (optional)").fill("Typed before the failure");
    await page.getByRole("button", { name: "Request server" }).click();
    await expect(page.locator('[data-field-error="url"]')).toContainText(`mcp.${slug}.example`);
    await expect(page.getByLabel("URL", { exact: true })).toHaveValue(vendorUrl);
    await expect(page.getByLabel("Slug", { exact: true })).toHaveValue(`${slug}-vendor`);
    await expect(page.getByLabel("Description (optional)")).toHaveValue("Typed before the failure");
    await expect(page.getByLabel("Why does your team need it?")).toHaveValue(/shadow MCP finding/);
    // No server exists for it, so the finding is still open.
    await page.goto(`/shadow/${findingPage}`);
    await expect(page.getByTestId("timeline")).toContainText("Detected");
    await expect(page.getByTestId("timeline")).not.toContainText("resolved");
    await page.goto("/shadow?state=open");
    await expect(page.getByTestId("finding-row").filter({ hasText: vendorUrl })).toBeVisible();
  } finally {
    await upstream.close();
  }
});

test("an upload in which no line is a log record fails in red, with the lines rejected, why, and what to send", async ({ page }) => {
  const file = path.join(os.tmpdir(), `all-bad-${Date.now().toString(36)}.ndjson`);
  try {
    await writeFile(file, ["<!doctype html>", "<title>Not a log</title>", JSON.stringify({ hello: "world" }), ""].join("\n"));
    await signInWithOidc(page, "alice", "/shadow");
    await expect(page.getByRole("heading", { name: "Shadow MCP", exact: true })).toBeVisible();
    await page.getByLabel("Log file (NDJSON)").setInputFiles(file);
    await page.getByRole("button", { name: "Upload and scan" }).click();
    const status = page.getByRole("alert").filter({ hasText: "Upload failed." });
    await expect(status).toContainText(
      "No line of the upload is a log record this console reads, so nothing was scanned: 3 lines rejected (line 1: not valid JSON; line 2: not valid JSON; line 3: unknown format: neither Cloudflare Gateway HTTP nor generic proxy fields).",
    );
    await expect(status).toContainText("Send NDJSON, one JSON log record per line (plain or gzip)");
    await expect(page.getByTestId("upload-status")).not.toContainText("Scanned");
    await expect(page.getByRole("progressbar", { name: "Upload progress" })).toHaveAttribute("data-outcome", "failed");
    // The recent uploads list it as failed, with its reason, after a reload.
    await page.reload();
    await expect(page.getByRole("row").filter({ hasText: path.basename(file) })).toContainText("failed: No line of the upload is a log record");
  } finally {
    await rm(file, { force: true });
  }
});
