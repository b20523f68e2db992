/**
 * Forwarding end to end, as security sets it up: a signed webhook sink created on Settings →
 * Forwarding (its secret shown once), a tool call through the real portal with a W3C traceparent,
 * and the webhook receiving the call's event — signed with that secret, filtered to the server,
 * carrying the caller's trace — then the sinks table showing the delivery, and a failing receiver's
 * error. The sink is deleted at the end.
 */
import { createHmac } from "node:crypto";
import { expect, test } from "@playwright/test";
import type { PortalEvent } from "@core/events/schema";
import { adminApi, aliceWithToken, approveWeatherServer, callWeatherThroughPortal, publishOnPortalPage, signInWithOidc, waitForPortal } from "@/testing/e2e/fixtures";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { startRawReceiver } from "@/testing/webhook-receiver";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

test("forward the portal's events to a signed webhook made on Settings → Forwarding, with the caller's trace", async ({ page }) => {
  test.setTimeout(150_000);
  const upstream = await startMutableServer({ port: 0 });
  const receiver = await startRawReceiver(204);
  const slug = `fw-${Date.now().toString(36)}`;
  const name = `SIEM ${slug}`;
  try {
    await waitForPortal();
    await approveWeatherServer({ label: "forwarding e2e", slug, url: upstream.url, tools: ["get_weather"] });
    await signInWithOidc(page, "alice", "/portal");
    await publishOnPortalPage(page);
    // Made after the publish: the console brings tokens to the edge by itself within seconds.
    const { secret: token } = await aliceWithToken(`forwarding e2e ${slug}`);

    await page.goto("/settings/forwarding");
    await expect(page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Forwarding" })).toHaveAttribute("aria-current", "page");
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByLabel("Kind").selectOption("webhook");
    await page.getByLabel("URL").fill(`${receiver.origin}/siem`);
    await page.getByLabel("Servers").fill(slug);
    await page.getByRole("button", { name: "Create sink" }).click();
    await expect(page.getByTestId("new-sink")).toContainText(`Sink “${name}” created`);
    const secret = (await page.getByTestId("sink-secret").textContent())!.trim();
    expect(secret).toMatch(/^pcwh_/);

    // A call through the portal with the caller's trace; its event reaches the webhook, signed.
    await expect.poll(() => callWeatherThroughPortal(token, slug, { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` }), { timeout: 30_000 }).toBe("allowed");
    await expect.poll(() => receiver.requests.length, { timeout: 30_000 }).toBeGreaterThan(0);
    const [request] = receiver.requests;
    expect(request!.path).toBe("/siem");
    const [, t, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request!.headers["x-portcullis-signature"]))!;
    expect(mac).toBe(createHmac("sha256", secret).update(`${t}.${request!.text}`).digest("hex"));
    const { events } = JSON.parse(request!.text) as { events: PortalEvent[] };
    expect(events.every((e) => e.serverSlug === slug)).toBe(true);
    expect(events.find((e) => e.tool === "get_weather")).toMatchObject({ decision: "allowed", traceId: TRACE, spanId: expect.stringMatching(/^[0-9a-f]{16}$/) });

    // The sinks table: delivered, nothing pending; then a failing receiver's error, and what waits for it.
    const row = page.getByTestId("sink-row").filter({ hasText: name });
    await expect(async () => {
      await page.reload();
      await expect(row.getByTestId("sink-pending")).toHaveText("0", { timeout: 1_000 });
      await expect(row).not.toContainText("never", { timeout: 1_000 });
    }).toPass({ timeout: 20_000 });
    receiver.status = 500;
    await expect.poll(() => callWeatherThroughPortal(token, slug), { timeout: 30_000 }).toBe("allowed");
    await expect(async () => {
      await page.reload();
      await expect(row.getByTestId("sink-last-error")).toContainText("HTTP 500", { timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    await expect(row.getByTestId("sink-pending")).toHaveText(/^[1-9]\d*$/);
  } finally {
    const { sinks } = await adminApi<{ sinks: { id: string; name: string }[] }>("GET", "/forwarding/sinks");
    for (const sink of sinks.filter((s) => s.name === name)) await adminApi("DELETE", `/forwarding/sinks/${sink.id}`);
    await Promise.allSettled([receiver.close(), upstream.close()]);
  }
});
