#!/usr/bin/env node
// What the per-isolate caches spare each call, in Node (V8 and Web Crypto, as workerd has them):
// hashing an API token (SHA-256, hex) against a hit in the token-hash cache, and opening a sealed
// upstream credential (HKDF + AES-GCM, then JSON) against a hit in the opened-credential cache.
// Prints a markdown table of ops/s.
import { loadAverage, loadModules, opsPerSecond } from "../lib/common.mjs";

const [secret, edge, cache] = await loadModules(null, ["lib/core/tokens/secret.ts", "lib/core/edge/secret.ts", "lib/core/cache/bounded-cache.ts"]);
const token = secret.generateTokenSecret();
const secrets = await edge.parseEdgeSecrets(edge.generateEdgeSecret());
const aad = "portcullis:server:00000000-0000-4000-8000-000000000001:edge-credential";
const sealed = await edge.sealForEdge(JSON.stringify({ type: "headers", headers: { authorization: "Bearer upstream-secret" } }), secrets, aad);
const hashes = new cache.BoundedCache(10_000);
const opened = new cache.BoundedCache(2_000);
const key = `${aad}\u0000${sealed.kid}\u0000${sealed.sealed}`;

const rows = [
  ["API token: SHA-256 + hex, every request (before)", () => secret.hashTokenSecret(token)],
  ["API token: cache hit (after)", () => hashes.getOrMake(token, () => secret.hashTokenSecret(token))],
  ["upstream credential: HKDF + AES-GCM + JSON, every call (before)", async () => JSON.parse(await edge.openAtEdge(sealed, secrets, aad))],
  ["upstream credential: cache hit (after)", () => opened.getOrMake(key, async () => JSON.parse(await edge.openAtEdge(sealed, secrets, aad)))],
];
console.log(`Node ${process.version}, load average ${loadAverage()}\n`);
console.log("| work per call | ops/s | µs/call |");
console.log("|---|---:|---:|");
for (const [name, fn] of rows) {
  const ops = await opsPerSecond(fn, { iterations: 20_000 });
  console.log(`| ${name} | ${Math.round(ops).toLocaleString("en")} | ${(1e6 / ops).toFixed(2)} |`);
}
