/**
 * Live Logpush ingest end to end, as security sets it up: create a Logpush job on Settings → Logpush,
 * take the destination_conf and secret the page shows once, push batches to the console the way
 * Cloudflare Logpush does (its destination check, then gzip NDJSON with the header_ parameter as a
 * header, a retry, a big plain batch), and see the findings on the Shadow page. The job is revoked at
 * the end, and its secret refused.
 */
import { gzipSync } from "node:zlib";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { OIDC_CONSOLE, signInWithOidc } from "@/testing/e2e/fixtures";
import { gatewayHttpLine as gatewayLine } from "@/testing/logpush";

/** What Logpush does with a destination_conf: `header_<Name>=<value>` parameters become request headers, the rest stays the URL. */
function asLogpush(destinationConf: string): { url: string; headers: Record<string, string> } {
  const url = new URL(destinationConf);
  const headers: Record<string, string> = {};
  for (const [name, value] of [...url.searchParams]) {
    if (!name.startsWith("header_")) continue;
    headers[name.slice("header_".length)] = value;
    url.searchParams.delete(name);
  }
  return { url: url.toString(), headers };
}

async function push(request: APIRequestContext, destinationConf: string, body: Buffer, gzip = true) {
  const { url, headers } = asLogpush(destinationConf);
  const res = await request.post(url, { headers: { ...headers, "content-type": "application/x-ndjson", ...(gzip ? { "content-encoding": "gzip" } : {}) }, data: body });
  return { status: res.status(), body: (await res.json()) as { test?: boolean; duplicate?: boolean; batch?: { lines: number; acceptedLines: number; shadowServers: number } | null; error?: { message: string } } };
}

test("create a Logpush job in Settings, push gzip batches with its destination_conf, and see the findings on the Shadow page", async ({ page }) => {
  test.setTimeout(120_000);
  const run = Date.now().toString(36);
  const name = `Gateway e2e ${run}`;
  const shadowUrl = `https://mcp.lp-${run}.example/mcp`;
  const bigUrl = `https://mcp.lp-big-${run}.example/mcp`;

  await signInWithOidc(page, "alice", "/settings/logpush");
  await expect(page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Logpush" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("heading", { name: "Create a Logpush job" })).toBeVisible();
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Log format").selectOption("cloudflare");
  await page.getByRole("button", { name: "Create Logpush job" }).click();
  const created = page.getByTestId("new-logpush-job");
  await expect(created).toContainText(`Logpush job “${name}” created`);
  const destinationConf = (await page.getByTestId("logpush-destination-conf").textContent())!.trim();
  const secret = (await page.getByTestId("logpush-secret").textContent())!.trim();
  expect(secret).toMatch(/^pcl_[A-Za-z0-9_-]{32}$/);
  expect(destinationConf).toBe(`${OIDC_CONSOLE}/api/v1/traffic/logpush?header_X-Portcullis-Logpush-Secret=${secret}`);
  await expect(created).toContainText('"dataset": "gateway_http"');

  // Cloudflare checks the destination when the job is created: answered, nothing stored.
  const check = await push(page.request, destinationConf, gzipSync('{"content":"tests"}'));
  expect(check).toMatchObject({ status: 200, body: { test: true, batch: null } });

  // A batch, and the same batch again (a Logpush retry): counted once.
  const batch = gzipSync(`${[gatewayLine(shadowUrl, "dana@acme.test"), gatewayLine(shadowUrl, "erik@acme.test"), "not json"].join("\n")}\n`);
  const first = await push(page.request, destinationConf, batch);
  expect(first).toMatchObject({ status: 200, body: { duplicate: false, batch: { lines: 3, acceptedLines: 2, shadowServers: 1 } } });
  const retry = await push(page.request, destinationConf, batch);
  expect(retry).toMatchObject({ status: 200, body: { duplicate: true } });

  // A plain batch over 10 MB reaches the console whole (its last line is the MCP request).
  const padding = gatewayLine("https://www.example.com/", "gus@acme.test", { UploadMatchedDlpProfiles: [], UploadMatchedDlpProfileEntries: [], UserAgent: "Mozilla/5.0 ".repeat(60), HTTPMethod: "GET" });
  const lines = Array.from({ length: Math.ceil(11_000_000 / padding.length) }, () => padding);
  lines.push(gatewayLine(bigUrl, "fay@acme.test"));
  const big = await push(page.request, destinationConf, Buffer.from(`${lines.join("\n")}\n`), false);
  expect(big).toMatchObject({ status: 200, body: { duplicate: false, batch: { lines: lines.length, acceptedLines: lines.length, shadowServers: 1 } } });

  // The findings, without anyone uploading a file.
  await page.goto("/shadow");
  await expect(page.getByRole("heading", { name: "Shadow MCP", exact: true })).toBeVisible();
  const row = page.getByTestId("finding-row").filter({ hasText: shadowUrl });
  await expect(row).toBeVisible();
  await expect(row).toContainText("new");
  await expect(page.getByTestId("finding-row").filter({ hasText: bigUrl })).toBeVisible();

  // The job's row counts two batches (the retry and the check not among them); revoking it refuses its secret.
  await page.goto("/settings/logpush");
  const jobRow = page.getByTestId("logpush-job-row").filter({ hasText: name });
  await expect(jobRow.getByTestId("logpush-batches")).toHaveText("2");
  await expect(jobRow).toContainText(secret.slice(0, 12));
  await expect(jobRow).not.toContainText(secret);
  page.once("dialog", (dialog) => void dialog.accept());
  await jobRow.getByRole("button", { name: "Revoke" }).click();
  await expect(jobRow).toContainText("revoked");
  const refused = await push(page.request, destinationConf, batch);
  expect(refused.status).toBe(401);
  expect(refused.body.error?.message).toContain(`The Logpush job "${name}" was revoked`);
});
