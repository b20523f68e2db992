#!/usr/bin/env node
// `npm run portal:serve` (`node scripts/portal.mjs serve`): the portal Worker on your own server,
// without Cloudflare — the same Worker, built as `wrangler deploy` builds it, in workerd through
// Miniflare's API (scripts/lib/portal-runner.mjs), storage on disk under
// $PORTCULLIS_DATA_DIR/portal. README, "Self-hosted portal (no Cloudflare)".
//
// Configuration from the environment (no key files are read or made here: the console owns them):
//   PORTCULLIS_BUNDLE_KEYS    the console's public keys (`npm run keys -- print` on the console's machine)
//   PORTCULLIS_EDGE_SECRET    the secret shared with the console
//   PORTCULLIS_CONSOLE_URL    the console's origin (event delivery, OAuth sign-in)
//   PORTCULLIS_PUBLIC_URL     the portal's https origin behind your TLS proxy (OAuth issuer and resource)
//   PORTCULLIS_PORTAL_PORT    default 8787; PORTCULLIS_PORTAL_HOST default 127.0.0.1 (the proxy's side)
//   PORTCULLIS_DATA_DIR       default ./.data
//   PORTCULLIS_EVENTS         default "buffer": events wait in the durable sharded buffer on disk
//                             (Miniflare's queue broker would keep them in memory only); "queue" to use it anyway
//   PORTCULLIS_PORTAL_LOG     "requests": one log line per request (default: none)
import { main } from "./lib/portal-runner.mjs";

const command = process.argv[2];
if (command !== "serve") {
  console.error("usage: node scripts/portal.mjs serve   (configuration from the environment; see the top of scripts/portal.mjs)");
  process.exit(command === undefined || command === "help" || command === "--help" ? 0 : 2);
}
if (!process.env.PORTCULLIS_PUBLIC_URL) {
  console.warn("[portal] PORTCULLIS_PUBLIC_URL is not set: OAuth metadata will name whatever origin a request arrives on. Set it to the https origin your TLS proxy serves.");
}
await main({ selfHosted: true });
