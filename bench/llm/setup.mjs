/**
 * What the LLM gateway benchmark needs beyond bench/portal/harness.mjs: the fake provider in its
 * own process, the repo's sealing code (the provider key is sealed into the bundle exactly as the
 * console seals it), and a signed bundle with LLM providers, prices and limits.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { editedWorker, root, startScriptProcess, startWorkerdPortal } from "../portal/harness.mjs";

export const MODEL = "gpt-4o-mini";
/** The provider key the fake accepts: it travels sealed in the bundle and is opened at the edge. */
export const PROVIDER_KEY = `sk-bench-${randomUUID()}`;
/** Provider slugs in the bundle: one without a cache (the measured path), one with. */
export const SLUG = "openai";
export const CACHED_SLUG = "openai-cached";

/** A helper script of this folder (prints `{"url": …}` when ready), stopped at the end. */
const startScript = (s, script, args = []) => startScriptProcess(s, path.join(root, "bench", "llm", script), args);

export const startProvider = (s) => startScript(s, "provider.mjs", [PROVIDER_KEY]);

/** The event sink (sink.mjs); `stats()` → `{ batches, events }`. */
export async function startSink(s) {
  const sink = await startScript(s, "sink.mjs");
  return { ...sink, stats: async () => (await fetch(`${sink.url}/stats`)).json() };
}

/**
 * What a console would publish for the gateway: two OpenAI-style providers on the fake (cache off,
 * and cache on for the cache-hit path), a price for the model so every call is costed, one allow
 * rule for everyone per provider, and two members with an API token each:
 * - `plain` has no rate limit and no budget (the gateway then never calls a counter shard);
 * - `limited` has a per-user LLM rate limit and a blocking USD budget, both far above what the run
 *   spends, so every call is admitted but pays the admission and settlement round trips.
 */
export async function gatewayConfig(helpers, providerUrl, consoleUrl) {
  const keys = await helpers.generateSigningKeyPair();
  const edgeSecret = helpers.generateEdgeSecret();
  const secrets = await helpers.parseEdgeSecrets(edgeSecret);
  const provider = async (slug, cacheTtlSeconds) => {
    const id = randomUUID();
    const credential = await helpers.sealForEdge(JSON.stringify({ apiKey: PROVIDER_KEY }), secrets, helpers.llmCredentialAad(id));
    // logBodies false: the console's default (lib/llm-providers/schemas.ts).
    return { id, slug, name: `Bench ${slug}`, kind: "openai", baseUrl: `${providerUrl}/v1`, credential, cacheTtlSeconds, logBodies: false };
  };
  const member = async (email) => ({ token: helpers.generateTokenSecret(), userId: randomUUID(), tokenId: randomUUID(), email });
  const plain = await member("plain@bench.local");
  const limited = await member("limited@bench.local");
  const members = [plain, limited];
  const rule = (slug) => ({ id: randomUUID(), effect: "allow", subject: { type: "everyone" }, resource: { serverSlug: slug, tool: "*" }, priority: 100 });
  const bundle = {
    schemaVersion: 3,
    // Fresh portals every run; seconds keep it increasing and within the schema's int32 bound.
    version: Math.floor(Date.now() / 1000),
    issuedAt: new Date().toISOString(),
    issuer: "bench.local",
    servers: [],
    tokens: await Promise.all(members.map(async (m) => ({ id: m.tokenId, hash: await helpers.hashTokenSecret(m.token), userId: m.userId, scopes: ["read", "write"], expiresAt: null }))),
    users: members.map((m) => ({ id: m.userId, email: m.email, role: "member", teamIds: [], groups: [] })),
    teams: [],
    policies: { rules: [rule(SLUG), rule(CACHED_SLUG)] },
    limits: {
      rateLimits: [{ id: randomUUID(), name: "bench llm rate", subject: { type: "user", userId: limited.userId }, per: "user", scope: { kind: "llm" }, limit: 10_000_000, windowSeconds: 60 }],
      budgets: [{ id: randomUUID(), name: "bench llm budget", subject: { type: "user", userId: limited.userId }, metric: "usd", limit: 1_000_000_000_000, period: "month", onExceed: "block" }],
    },
    llm: {
      providers: [await provider(SLUG, 0), await provider(CACHED_SLUG, 300)],
      prices: [{ provider: "openai", model: MODEL, inputPerMTok: 0.15, cachedInputPerMTok: 0.075, outputPerMTok: 0.6 }],
    },
    shadow: { blocklist: [] },
  };
  return {
    plain,
    limited,
    signed: await helpers.signBundle(bundle, keys.privateKeyJwk, keys.keyId),
    vars: {
      PORTCULLIS_BUNDLE_KEYS: JSON.stringify({ [keys.keyId]: keys.publicKeyJwk }),
      PORTCULLIS_EDGE_SECRET: edgeSecret,
      PORTCULLIS_CONSOLE_URL: consoleUrl,
    },
  };
}

/**
 * Experiments, not the product: copies of the built Worker with one thing cut out of the LLM route,
 * to measure what it costs (`--paths direct,workerd,workerd-no-events`). Each edit must match the
 * bundle exactly once, or the variant refuses to run (the code it targets has changed).
 */
export const VARIANTS = {
  // The LLM route still builds each usage event, but does not send it (neither to the queue nor to an EventBuffer shard).
  // (A pattern: esbuild renames `env` to `env2` and the like when it bundles.)
  "no-events": [[/enqueueEvents\(env\d*, \(p\d*\) => ctx\d*\.waitUntil\(p\d*\), \[event\]\)/g, "Promise.resolve()"]],
};

export const workerVariant = (s, worker, name) => editedWorker(s, worker, name, VARIANTS, "worker-llm-");

/** The file system type of a folder (`stat -f`), e.g. tmpfs or ext2/ext3 (ext4 reports as that). */
function fsType(dir) {
  try {
    return execFileSync("stat", ["-f", "-c", "%T", dir], { encoding: "utf8" }).trim();
  } catch {
    return "?";
  }
}

/**
 * The portal in workerd (harness.startWorkerdPortal) with Miniflare's scratch folder, where its
 * Durable Objects keep their SQLite files, placed on purpose:
 * - "memory": a folder in /dev/shm (tmpfs). Locally the Worker and every Durable Object share one
 *   workerd thread, so a SQLite commit's fsync in the EventBuffer or a counter shard stalls every
 *   request in flight; in production those objects run elsewhere and the gateway never waits on
 *   the event write. tmpfs takes that local artefact out of the measurement.
 * - "disk": the OS temporary folder (Miniflare's default; what `npm start` and bench/portal get).
 * Either folder is removed at the end: Miniflare removes its own only fire-and-forget on dispose.
 */
export async function startPortal(s, worker, vars, storage) {
  const base = storage === "memory" && existsSync("/dev/shm") ? "/dev/shm" : path.dirname(s.tmp);
  const dir = mkdtempSync(path.join(base, "portcullis-bench-llm-mf-"));
  s.defer(() => rmSync(dir, { recursive: true, force: true }));
  // Miniflare names its scratch folder after os.tmpdir() when it is constructed (synchronously, in here).
  const before = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return { ...(await startWorkerdPortal(s, worker, vars)), storage: `${storage} (${fsType(dir)})` };
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  }
}

/**
 * Not the gateway: the smallest Worker that forwards a chat completion to the provider (body read,
 * provider key added, answer read and returned), run the same way as the portal. It measures the
 * floor every Worker pays here: Miniflare's entry worker, the workerd hop and one outbound fetch.
 */
export function passthroughWorker(s, worker) {
  const outdir = path.join(s.tmp, "worker-passthrough");
  mkdirSync(outdir, { recursive: true });
  const script = path.join(outdir, "index.js");
  writeFileSync(
    script,
    `export default {
  async fetch(request, env) {
    const res = await fetch(env.PROVIDER_URL + "/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer " + env.PROVIDER_KEY },
      body: await request.text(),
    });
    return new Response(await res.text(), { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/json" } });
  },
};
`,
  );
  const { compatibility_date, compatibility_flags } = worker.config;
  return { outdir, script, config: { compatibility_date, compatibility_flags, durable_objects: { bindings: [] }, kv_namespaces: [] }, variant: "passthrough" };
}
