/**
 * Test helpers for the portal Worker: start it in workerd (Miniflare, as deployed), build and
 * sign bundles for real upstreams, and receive its event batches the way the console does.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import path from "node:path";
import type { Role, TokenScope } from "@core/auth/roles";
import type { BundleServer, ConfigBundle, PolicyRule } from "@core/bundle/schema";
import { generateSigningKeyPair, signBundle, signStatement } from "@core/bundle/sign";
import { CONSENT_STATEMENT } from "@core/edge/consent";
import { edgeCredentialAad, type EdgeCredential } from "@core/edge/credential";
import { EDGE_SIGNATURE_HEADER, generateEdgeSecret, parseEdgeSecrets, sealForEdge, signEdgeRequest, verifyEventSignature } from "@core/edge/secret";
import type { PortalEvent } from "@core/events/schema";
import { discoverServer, type ProofHeaders } from "@/lib/servers/discover";
import { CONSOLE_SUBJECT, signProof } from "@core/proof/sign";
import { PROOF_HEADER } from "@core/proof/verify";
import { hashedToolView, toolHash } from "@core/tools/tool-hash";
import { hashTokenSecret, generateTokenSecret } from "@core/tokens/secret";
import { PORTAL_MODULE_RULES } from "@/scripts/lib/miniflare-modules.mjs";
import { miniflareQueueOptions, type QueuesConfig } from "@/scripts/lib/miniflare-queues.mjs";

const dir = path.join(process.cwd(), "workers", "portal");

export type Keys = Awaited<ReturnType<typeof generateSigningKeyPair>>;

export interface PortalUnderTest {
  origin: string;
  keys: Keys;
  edgeSecret: string;
  push(bundle: ConfigBundle): Promise<Response>;
  /** `GET` of an operator endpoint (`/_portcullis/status`, `/_portcullis/events`), signed as the console signs it. */
  operatorGet(path: string): Promise<Response>;
  /**
   * Stops workerd and starts it again on the same storage (needs `persist`), as a deploy or a crash
   * would; `origin` changes (a new port). Miniflare's queue broker keeps its messages in memory
   * only, so whatever is still in the local queue is lost with it (Cloudflare's queues are durable).
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The events queue in tests: as wrangler.jsonc configures it (both queues, the same consumer
 * settings) but with a short batch timeout, so deliveries start within 50 ms, and a retry budget
 * a test can set (a failed batch reaches the dead-letter queue after `maxRetries` + 1 attempts).
 */
export interface EventsQueueOptions {
  maxBatchTimeoutSeconds?: number;
  maxRetries?: number;
}

/** Miniflare's queue options for wrangler.jsonc's `queues`; none when `options` is false (the Worker without the binding). */
function queueOptions(queues: QueuesConfig | undefined, options: EventsQueueOptions | false | undefined) {
  if (options === false) return {};
  return miniflareQueueOptions(queues, { maxBatchTimeoutSeconds: options?.maxBatchTimeoutSeconds ?? 0.05, maxRetries: options?.maxRetries });
}

/**
 * The Worker exactly as `wrangler deploy` builds it (`--dry-run --outdir`), once per entry and
 * process: `src/index.ts`, or the test entry (the deployed Worker plus test-only routes).
 */
const builds = new Map<string, Promise<string>>();
function buildWorker(entry: string): Promise<string> {
  let build = builds.get(entry);
  if (!build) {
    build = (async () => {
      const outdir = mkdtempSync(path.join(tmpdir(), "portal-build-"));
      execFileSync(process.execPath, [path.join(process.cwd(), "node_modules", "wrangler", "bin", "wrangler.js"), "deploy", entry, "--dry-run", "--outdir", outdir, "--config", path.join(dir, "wrangler.jsonc")], {
        stdio: ["ignore", "ignore", "inherit"],
        env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
      });
      process.once("exit", () => rmSync(outdir, { recursive: true, force: true }));
      return outdir;
    })();
    builds.set(entry, build);
  }
  return build;
}

/**
 * The portal in workerd through Miniflare's API, as deployed (Durable Objects on SQLite, the OAuth
 * KV namespace), with no wrangler dev proxy in front: the proxy reads every response stream to its
 * end (a caller hanging up would never reach the Worker), and restarts the Worker when a request is
 * answered before its body was read (the request after it then fails). `testHooks`: the test entry
 * (src/testing/test-entry.ts) with PORTCULLIS_TEST_HOOKS=1. `eventsQueue`: the events queue's test
 * settings, or false to run the Worker without the binding (the sharded-buffer path). `persist`: a
 * folder for Durable Object and KV storage, kept across `restart()`.
 */
export async function startPortal(options: {
  consoleUrl: string;
  edgeSecret?: string;
  keys?: Keys;
  vars?: Record<string, string>;
  testHooks?: boolean;
  eventsQueue?: EventsQueueOptions | false;
  persist?: string;
}): Promise<PortalUnderTest> {
  const keys = options.keys ?? (await generateSigningKeyPair());
  const edgeSecret = options.edgeSecret ?? generateEdgeSecret();
  const entry = options.testHooks ? "test-entry" : "index";
  const outdir = await buildWorker(path.join(dir, "src", options.testHooks ? "testing/test-entry.ts" : "index.ts"));
  const config = JSON.parse(readFileSync(path.join(dir, "wrangler.jsonc"), "utf8").replace(/^\s*\/\/.*$/gm, "")) as {
    compatibility_date: string;
    compatibility_flags: string[];
    durable_objects: { bindings: { name: string; class_name: string }[] };
    kv_namespaces: { binding: string }[];
    queues?: QueuesConfig;
  };
  const { Miniflare } = await import("miniflare");
  const miniflareOptions = {
    host: "127.0.0.1",
    port: 0,
    modules: true,
    scriptPath: path.join(outdir, `${entry}.js`),
    modulesRoot: outdir,
    modulesRules: PORTAL_MODULE_RULES,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    durableObjects: Object.fromEntries(config.durable_objects.bindings.map((b) => [b.name, { className: b.class_name, useSQLite: true }])),
    kvNamespaces: config.kv_namespaces.map((k) => k.binding),
    bindings: {
      PORTCULLIS_BUNDLE_KEYS: JSON.stringify({ [keys.keyId]: keys.publicKeyJwk }),
      PORTCULLIS_EDGE_SECRET: edgeSecret,
      PORTCULLIS_CONSOLE_URL: options.consoleUrl,
      ...(options.testHooks ? { PORTCULLIS_TEST_HOOKS: "1" } : {}),
      ...options.vars,
    },
    ...queueOptions(config.queues, options.eventsQueue),
    ...(options.persist ? { durableObjectsPersist: path.join(options.persist, "do"), kvPersist: path.join(options.persist, "kv") } : {}),
  };
  let mf = new Miniflare(miniflareOptions);
  let origin = (await mf.ready).origin;
  return {
    get origin() {
      return origin;
    },
    keys,
    edgeSecret,
    async push(bundle) {
      const signed = await signBundle(bundle, keys.privateKeyJwk, keys.keyId);
      return fetch(`${origin}/_portcullis/bundle`, { method: "POST", body: JSON.stringify(signed), headers: { "content-type": "application/json" } });
    },
    async operatorGet(path) {
      return fetch(`${origin}${path}`, { headers: { [EDGE_SIGNATURE_HEADER]: await signEdgeRequest("GET", path, await parseEdgeSecrets(edgeSecret)) } });
    },
    async restart() {
      if (!options.persist) throw new Error("restart() needs startPortal({ persist })");
      await mf.dispose();
      mf = new Miniflare(miniflareOptions);
      origin = (await mf.ready).origin;
    },
    stop: () => mf.dispose(),
  };
}

/** A consent statement as the console signs it (for OAuth tests). */
export function consentStatement(keys: Keys, payload: { state: string; userId: string; email: string; teamIds: string[]; aud: string; client?: string; redirectHost?: string }): Promise<string> {
  return signStatement({ typ: CONSENT_STATEMENT, exp: Math.floor(Date.now() / 1000) + 120, ...payload }, keys.privateKeyJwk, keys.keyId);
}

/** An approved server entry for a real upstream: every tool it lists, pinned to its live hash. */
export async function approvedServer(options: {
  slug: string;
  url: string;
  edgeSecret: string;
  credential?: EdgeCredential;
  /** Tools to leave out (as if disabled or quarantined in the console). */
  omit?: string[];
  /** Tools whose pin is wrong (as if the upstream changed after approval). */
  wrongPin?: string[];
  /** Tools published as read-only (as if their approved definition said readOnlyHint: true). */
  readOnly?: string[];
  /** Tools whose calls from Code Mode wait for the user's approval. */
  approval?: string[];
  /** Discover and list as the console does for servers that accept the portal's calls only: with console proofs issued as this portal origin. */
  proofIssuer?: string;
}): Promise<BundleServer & { upstreamTools: string[] }> {
  const issuer = options.proofIssuer;
  const proof: ProofHeaders | undefined = issuer
    ? async (audience) => ({ [PROOF_HEADER]: await signProof({ issuer, audience, subject: CONSOLE_SUBJECT }, await parseEdgeSecrets(options.edgeSecret)) })
    : undefined;
  const discovered = await discoverServer({ url: options.url, auth: options.credential?.type === "headers" ? { type: "headers", headers: options.credential.headers } : { type: "none" }, proof });
  // Some servers offer tools only to clients that can sample or elicit; list as such a client.
  const lister = new Client({ name: "approver", version: "1" }, { capabilities: { sampling: {}, elicitation: {}, roots: {} } });
  const listerFetch = proof ? async (u: string | URL, init?: RequestInit) => fetch(u, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers)), ...(await proof(discovered.endpointUrl)) } }) : undefined;
  await lister.connect(new StreamableHTTPClientTransport(new URL(discovered.endpointUrl), { requestInit: { headers: options.credential?.type === "headers" ? options.credential.headers : {} }, fetch: listerFetch }));
  discovered.tools = (await lister.listTools()).tools as typeof discovered.tools;
  await lister.close();
  const id = crypto.randomUUID();
  const tools = [];
  for (const tool of discovered.tools) {
    if (options.omit?.includes(tool.name)) continue;
    const hash = options.wrongPin?.includes(tool.name) ? "0".repeat(64) : await toolHash(tool);
    tools.push({ name: tool.name, hash, state: "enabled" as const, ...(options.readOnly?.includes(tool.name) ? { readOnly: true } : {}), ...(options.approval?.includes(tool.name) ? { approval: true as const } : {}), definition: hashedToolView(tool) as Record<string, unknown> });
  }
  const credential = options.credential
    ? await sealForEdge(JSON.stringify(options.credential), await parseEdgeSecrets(options.edgeSecret), edgeCredentialAad(id))
    : null;
  return {
    id,
    slug: options.slug,
    name: options.slug,
    url: discovered.endpointUrl,
    transport: discovered.transport,
    credential,
    tools,
    upstreamTools: discovered.tools.map((t) => t.name),
  };
}

export interface TestUser {
  id: string;
  email: string;
  teamIds: string[];
  groups: string[];
  token: string;
  tokenId: string;
  role: Role;
  /** The API token's scopes. */
  scopes: TokenScope[];
  emailVerified: boolean;
}

export async function testUser(email: string, teamIds: string[] = [], groups: string[] = [], options: { role?: Role; scopes?: TokenScope[]; emailVerified?: boolean } = {}): Promise<TestUser> {
  return { id: crypto.randomUUID(), email, teamIds, groups, token: generateTokenSecret(), tokenId: crypto.randomUUID(), role: options.role ?? "member", scopes: options.scopes ?? ["read", "write"], emailVerified: options.emailVerified ?? true };
}

let version = 0;
/** A bundle with a fresh, increasing version. Rules default to none (default deny). */
export async function bundleOf(parts: {
  servers: (BundleServer & { upstreamTools?: string[] })[];
  users: TestUser[];
  teams?: { id: string; slug: string }[];
  rules?: PolicyRule[];
  limits?: ConfigBundle["limits"];
  llm?: ConfigBundle["llm"];
  blocklist?: ConfigBundle["shadow"]["blocklist"];
  codemode?: ConfigBundle["codemode"];
}): Promise<ConfigBundle> {
  version += 1;
  return {
    schemaVersion: 3,
    version,
    issuedAt: new Date().toISOString(),
    issuer: "console.test",
    servers: parts.servers.map(({ upstreamTools: _drop, ...s }) => s),
    tokens: await Promise.all(parts.users.map(async (u) => ({ id: u.tokenId, hash: await hashTokenSecret(u.token), userId: u.id, scopes: u.scopes, expiresAt: null }))),
    users: parts.users.map((u) => ({ id: u.id, email: u.email, emailVerified: u.emailVerified, role: u.role, teamIds: u.teamIds, groups: u.groups })),
    teams: parts.teams ?? [],
    policies: { rules: parts.rules ?? [] },
    limits: parts.limits ?? { rateLimits: [], budgets: [] },
    llm: parts.llm ?? { providers: [], prices: [] },
    shadow: { blocklist: parts.blocklist ?? [] },
    ...(parts.codemode ? { codemode: parts.codemode } : {}),
  };
}

export function allowRule(subject: PolicyRule["subject"], serverSlug: string, tool = "*", effect: "allow" | "deny" = "allow", priority = 100): PolicyRule {
  return { id: crypto.randomUUID(), effect, subject, resource: { serverSlug, tool }, priority };
}

/** A stand-in for the console's event ingest: checks the signature like the console does and keeps the events. */
export async function startEventSink(edgeSecret: string): Promise<{ url: string; events: PortalEvent[]; rejected: number; close(): Promise<void> }> {
  const secrets = await parseEdgeSecrets(edgeSecret);
  const state = { events: [] as PortalEvent[], rejected: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      if (req.url !== "/api/v1/events" || !(await verifyEventSignature(req.headers["x-portcullis-signature"] as string | undefined ?? null, body, secrets))) {
        state.rejected += 1;
        res.writeHead(401).end();
        return;
      }
      state.events.push(...(JSON.parse(body) as { events: PortalEvent[] }).events);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ accepted: 1, duplicates: 0 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    get events() {
      return state.events;
    },
    get rejected() {
      return state.rejected;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A raw HTTP/1.1 POST that writes the head, then the body piece by piece (with or without chunked
 * framing) while reading the answer: the portal answers some bodies (oversized, unauthenticated)
 * before reading them and closes the connection, so a client still writing would otherwise see a
 * reset instead of the answer. Resolves with the status, the answer's body (it must have a
 * Content-Length) and the body bytes written before the answer came. Headers given override the
 * framing ones (to declare a length that is not the truth).
 */
export function rawPost(
  origin: string,
  path: string,
  headers: Record<string, string>,
  body: { chunks: Buffer[]; chunked: boolean; slowAfterBytes?: number },
): Promise<{ status: number; text: string; written: number }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(Number(port), hostname);
    let answer = "";
    let written = 0;
    let answered = false;
    socket.on("data", (d) => {
      answer += d.toString("latin1");
      const end = answer.indexOf("\r\n\r\n");
      const length = /content-length: (\d+)/i.exec(answer)?.[1];
      if (end >= 0 && length !== undefined && answer.length >= end + 4 + Number(length)) {
        answered = true;
        socket.destroy();
        resolve({ status: Number(answer.slice(9, 12)), text: Buffer.from(answer.slice(end + 4), "latin1").toString("utf8"), written });
      }
    });
    socket.on("error", (error) => (answered ? undefined : reject(error)));
    socket.on("close", () => (answered ? undefined : reject(new Error(`closed without an answer: ${answer.slice(0, 200)}`))));
    const framing = body.chunked ? { "transfer-encoding": "chunked" } : { "content-length": String(body.chunks.reduce((n, c) => n + c.byteLength, 0)) };
    const head = { host: `${hostname}:${port}`, ...framing, ...headers };
    socket.write(`POST ${path} HTTP/1.1\r\n${Object.entries(head).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`);
    let i = 0;
    const next = () => {
      if (answered || socket.destroyed) return;
      const chunk = body.chunks[i++];
      if (!chunk) return body.chunked ? void socket.write("0\r\n\r\n") : undefined;
      const framed = body.chunked ? Buffer.concat([Buffer.from(`${chunk.byteLength.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]) : chunk;
      socket.write(framed, () => {
        written += chunk.byteLength;
        // Past the size the server refuses at, write slowly: its answer must arrive before our next
        // write meets the connection it closed (the reset would discard the answer unread).
        setTimeout(next, body.slowAfterBytes !== undefined && written > body.slowAfterBytes ? 100 : 5);
      });
    };
    next();
  });
}
