import { z } from "zod";
import { parseUrl } from "@core/zod/helpers";

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * A URL the console POSTs JSON to (budget alerts, block-list notices): https, or http for a
 * loopback host only (a test receiver, a local relay); no credentials in it. Where it may connect
 * is the SSRF guard's decision when sending (lib/net/webhook.ts), not this format check's.
 */
export const WebhookUrl = z
  .url({ protocol: /^https?$/, message: "must be an https:// URL" })
  .max(2000)
  .superRefine((text, ctx) => {
    const url = parseUrl(text);
    if (!url) return;
    if (url.username || url.password) ctx.addIssue({ code: "custom", message: "must not contain a user name or password" });
    if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) ctx.addIssue({ code: "custom", message: "must be an https:// URL (http:// only for localhost and 127.0.0.1)" });
  });
