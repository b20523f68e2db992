#!/usr/bin/env node
/**
 * Soak benchmark (issue 13): minutes of mixed MCP and LLM traffic through the portal of the real
 * product (`scripts/start.mjs`: console on PGlite + portal Worker under wrangler dev), then a check
 * that every call reached the console's audit log exactly once. See README.md.
 *
 *   npm run bench:soak                       # 10 minutes, 5 MCP + 3 LLM clients
 *   npm run bench:soak -- --minutes 1        # a short run while developing
 *
 * Options: --minutes N (10)  --mcp-clients N (5)  --llm-clients N (3)  --think-ms N (20, mean pause
 *          between a client's calls)  --session-calls N (100, MCP calls per session)  --seed N (1)
 *          --llm-mix A,B,C (50,30,20: shares of chat as JSON, streamed chat, embeddings)
 *          --sample-seconds N (5)  --rss-tolerance PCT (10)  --idle-seconds N (60: RSS once more
 *          this long after the traffic stopped)  --json FILE (raw numbers)
 *          --keep (keep the scratch folder: the product's log and database)
 *          --portal wrangler|workerd (wrangler: as npm start runs it; workerd: the console of npm
 *          start with the portal as deployed, in one workerd without wrangler's dev proxy)
 *          --heap (with --portal workerd: the Worker isolate's JS heap each sample, and after a
 *          forced full GC once a minute, through workerd's inspector; a diagnostic, it adds GC pauses)
 *
 * Prints progress on stderr and the report (markdown) on stdout. Exits 1 when the run could not be
 * completed, 2 when it completed but a target was missed (any 5xx, a lost, duplicated or
 * unexpected event, RSS not flat).
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setInterval, clearInterval } from "node:timers";
import { parseArgs, stripVTControlCharacters } from "node:util";
import { codeLine, loadAverage, loadLine, log, machineInfo, percentile, root } from "../lib/common.mjs";
import { cpuMs, startScriptProcess, startUpstream } from "../portal/harness.mjs";
import { checkAudit } from "./audit-check.mjs";
import { auditThroughApi, configure, eventBufferStats, jsHeap, productProcesses, rssMiB, startProduct, stopGroup, storedEvents, waitForDelivery } from "./product.mjs";
import { LLM_OPS, llmClient, mcpClient, newLedger } from "./traffic.mjs";

const { values: opts } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    "mcp-clients": { type: "string", default: "5" },
    "llm-clients": { type: "string", default: "3" },
    "think-ms": { type: "string", default: "20" },
    "llm-mix": { type: "string", default: "50,30,20" },
    "session-calls": { type: "string", default: "100" },
    seed: { type: "string", default: "1" },
    "sample-seconds": { type: "string", default: "5" },
    "rss-tolerance": { type: "string", default: "10" },
    "idle-seconds": { type: "string", default: "60" },
    json: { type: "string" },
    keep: { type: "boolean", default: false },
    portal: { type: "string", default: "wrangler" },
    heap: { type: "boolean", default: false },
  },
});
const MINUTES = Number(opts.minutes);
const MCP_CLIENTS = Number(opts["mcp-clients"]);
const LLM_CLIENTS = Number(opts["llm-clients"]);
const THINK_MS = Number(opts["think-ms"]);
const SESSION_CALLS = Number(opts["session-calls"]);
const SEED = Number(opts.seed);
const LLM_MIX = opts["llm-mix"].split(",").map(Number);
if (LLM_MIX.length !== LLM_OPS.length || LLM_MIX.some((x) => !(x >= 0)) || !LLM_MIX.some((x) => x > 0)) throw new Error(`--llm-mix takes ${LLM_OPS.length} shares (${LLM_OPS.join(", ")}), e.g. 50,30,20`);
const SAMPLE_MS = Number(opts["sample-seconds"]) * 1000;
const RSS_TOLERANCE = Number(opts["rss-tolerance"]);
const IDLE_MS = Number(opts["idle-seconds"]) * 1000;
for (const [k, v] of Object.entries({ MINUTES, MCP_CLIENTS, LLM_CLIENTS, THINK_MS, SESSION_CALLS, SAMPLE_MS, RSS_TOLERANCE })) {
  if (!Number.isFinite(v) || v < 0) throw new Error(`bad option ${k}: ${v}`);
}
if (MINUTES <= 0 || MCP_CLIENTS + LLM_CLIENTS === 0) throw new Error("need --minutes > 0 and at least one client");

const SERVER_SLUG = "weather";
const PROVIDER_SLUG = "fakeai";
const PROVIDER_KEY = "sk-soak-provider-key-0123456789";
const MINUTE_MS = 60_000;

const fmt = (x, digits = 1) => (x == null || Number.isNaN(x) ? "–" : x.toFixed(digits));
const median = (xs) => {
  const s = xs.filter((x) => x != null).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null;
};
const pct = (sorted, p) => (sorted.length ? percentile(sorted, p) : null);

/**
 * A scratch folder (the product's data and log) and a stack of things to stop, newest first; the
 * folder is removed at the end unless `keep`.
 */
function scratchSession(keep) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "portcullis-soak-"));
  // wrangler's own debug log (the Worker build of --portal workerd) stays in here, not in ~/.config.
  process.env.WRANGLER_LOG_PATH = path.join(tmp, "wrangler-logs");
  const cleanups = [];
  const session = {
    tmp,
    /** Set when the run failed or missed a target: the product's log outlives the scratch folder. */
    saveLog: false,
    defer: (fn) => cleanups.push(fn),
    async close() {
      for (const stop of cleanups.reverse()) await Promise.resolve().then(stop).catch((e) => log("cleanup:", e?.message ?? e));
      const productLog = path.join(tmp, "product.log");
      if (session.saveLog && !keep && existsSync(productLog)) {
        const saved = path.join(os.tmpdir(), `portcullis-soak-${new Date().toISOString().replace(/[:.]/g, "-")}.log`);
        copyFileSync(productLog, saved);
        log(`the product's log (console and wrangler output) is kept in ${saved}`);
      }
      if (keep) log(`kept ${tmp}`);
      else rmSync(tmp, { recursive: true, force: true });
    },
  };
  return session;
}

/** Processes whose CPU time the report shows, by role (the product's, the helpers', and this one, the load generator). */
const CPU_ROLES = ["worker", "proxy", "wrangler", "console", "upstream", "provider", "clients"];

/**
 * Samples the product's memory, the upstream's and the provider's, every process's CPU time, the
 * portal's event backlog and the load.
 */
function startSampler(product, helpers, samples) {
  let running = true;
  const startedAt = Date.now();
  const pidsSeen = { worker: new Set(), proxy: new Set(), console: new Set(), wrangler: new Set() };
  /** A role's process replaced by another (wrangler dev reloading the Worker starts a new workerd). */
  const restarts = [];
  let lastGcMinute = -1;
  const once = async () => {
    const minute = Math.floor((Date.now() - startedAt) / MINUTE_MS);
    // With --heap: once a minute, the heap after a full GC (what the isolate really retains).
    const gc = minute !== lastGcMinute;
    if (gc) lastGcMinute = minute;
    const heap = await jsHeap(product, gc).catch((e) => (log("heap:", e?.message ?? e), null));
    const roles = { ...productProcesses(product), upstream: helpers.upstream.pid, provider: helpers.provider.pid };
    for (const role of Object.keys(pidsSeen)) {
      const previous = [...pidsSeen[role]].at(-1);
      if (roles[role] && previous && roles[role] !== previous) {
        restarts.push({ t: Date.now(), role, from: previous, to: roles[role] });
        log(`${role} process replaced: pid ${previous} → ${roles[role]}`);
      }
    }
    const self = process.cpuUsage();
    const cpu = Object.fromEntries(CPU_ROLES.map((role) => [role, role === "clients" ? (self.user + self.system) / 1000 : roles[role] ? cpuMs(roles[role]) : null]));
    for (const role of Object.keys(pidsSeen)) if (roles[role]) pidsSeen[role].add(roles[role]);
    const events = await eventBufferStats(product);
    samples.push({
      t: Date.now(),
      worker: roles.worker ? rssMiB(roles.worker) : null,
      // Of the Worker's RSS: anonymous memory (heaps) and file-backed pages (mapped files such as SQLite's).
      workerAnon: roles.worker ? rssMiB(roles.worker, "RssAnon") : null,
      workerFile: roles.worker ? rssMiB(roles.worker, "RssFile") : null,
      proxy: roles.proxy ? rssMiB(roles.proxy) : null,
      console: roles.console ? rssMiB(roles.console) : null,
      upstream: rssMiB(helpers.upstream.pid),
      provider: rssMiB(helpers.provider.pid),
      cpu,
      pids: roles,
      heapUsed: heap?.used ?? null,
      heapAfterGc: gc ? (heap?.used ?? null) : null,
      pending: events?.pending ?? null,
      dropped: events?.dropped ?? null,
      load: Number(loadAverage().split(" ")[0]),
    });
  };
  const loop = (async () => {
    while (running) {
      await once().catch((e) => log("sample failed:", e?.message ?? e));
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
    }
  })();
  return {
    pidsSeen,
    restarts,
    stop: async () => {
      running = false;
      await loop;
      await once().catch(() => undefined);
    },
  };
}

/** Per minute of traffic: calls (by their start), errors, 5xx, latency percentiles, memory, backlog, load. */
function perMinute(ledger, samples, t0, minutes) {
  const rows = [];
  for (let m = 0; m < minutes; m++) {
    const from = t0 + m * MINUTE_MS;
    const to = from + MINUTE_MS;
    const calls = ledger.calls.filter((c) => c.start >= from && (c.start < to || m === minutes - 1));
    const ms = (kind) => calls.filter((c) => !kind || c.kind === kind).map((c) => c.ms).sort((a, b) => a - b);
    const all = ms();
    const mcp = ms("mcp");
    const llm = ms("llm");
    const inMinute = samples.filter((s) => s.t >= from && s.t < to);
    // CPU share of one core over the minute: between the last samples at or before its start and its end.
    const before = samples.filter((s) => s.t <= from + 1_000).at(-1) ?? samples[0];
    const after = samples.filter((s) => s.t <= to + 1_000).at(-1);
    const cpu = Object.fromEntries(
      CPU_ROLES.map((role) => {
        const a = before?.cpu[role];
        const b = after?.cpu[role];
        // A process replaced within the minute has no comparable counter.
        const same = before?.pids?.[role] === after?.pids?.[role];
        return [role, same && a != null && b != null && after.t > before.t ? ((b - a) / (after.t - before.t)) * 100 : null];
      }),
    );
    rows.push({
      minute: m + 1,
      calls: calls.length,
      mcp: mcp.length,
      llm: llm.length,
      errors: calls.filter((c) => !c.ok).length,
      fiveXx: ledger.fiveXx.filter((f) => f.t >= from && (f.t < to || m === minutes - 1)).length,
      sessions: ledger.sessions.filter((s) => s.opened >= from && s.opened < to).length,
      p50: pct(all, 0.5),
      p99: pct(all, 0.99),
      mcpP50: pct(mcp, 0.5),
      mcpP99: pct(mcp, 0.99),
      llmP50: pct(llm, 0.5),
      llmP99: pct(llm, 0.99),
      worker: median(inMinute.map((s) => s.worker)),
      workerAnon: median(inMinute.map((s) => s.workerAnon)),
      workerFile: median(inMinute.map((s) => s.workerFile)),
      proxy: median(inMinute.map((s) => s.proxy)),
      console: median(inMinute.map((s) => s.console)),
      heapUsed: median(inMinute.map((s) => s.heapUsed)),
      heapAfterGc: inMinute.find((s) => s.heapAfterGc != null)?.heapAfterGc ?? null,
      pendingMax: inMinute.length ? Math.max(...inMinute.map((s) => s.pending ?? 0)) : null,
      load: median(inMinute.map((s) => s.load)),
      cpu,
    });
  }
  return rows;
}

/** Missing events by how their calls ended: succeeded, or failed with a status (404 = session unknown to the portal). */
function missingBreakdown(missing) {
  const by = new Map();
  for (const c of missing) {
    const key = c.ok ? "the call succeeded" : c.status ? `the call was answered ${c.status}${c.status === 404 ? " (session not found)" : ""}` : "the call failed without an HTTP status";
    by.set(key, (by.get(key) ?? 0) + 1);
  }
  return [...by.entries()].map(([k, v]) => `${v}: ${k}`).join("; ");
}

/** Least-squares slope (MiB per minute) of a per-minute series. */
function slope(points) {
  const p = points.filter(([, y]) => y != null);
  if (p.length < 2) return null;
  const mx = p.reduce((a, [x]) => a + x, 0) / p.length;
  const my = p.reduce((a, [, y]) => a + y, 0) / p.length;
  const num = p.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const den = p.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return den ? num / den : null;
}

/** RSS flat? The last minute against the second (the first holds start-up), within the tolerance. */
function rssVerdict(rows, key) {
  if (rows.length < 2) return { base: rows[0]?.[key] ?? null, last: rows.at(-1)?.[key] ?? null, growth: null, flat: null, slope: null, baseMinute: 1 };
  const baseRow = rows.length >= 3 ? rows[1] : rows[0];
  const base = baseRow[key];
  const last = rows.at(-1)[key];
  const growth = base && last ? ((last - base) / base) * 100 : null;
  const series = rows.map((r) => [r.minute, r[key]]);
  return {
    base,
    last,
    growth,
    flat: growth == null ? null : growth <= RSS_TOLERANCE,
    slope: slope(series.slice(rows.length >= 3 ? 1 : 0)),
    // Whether growth levels off: the slope over the last four minutes (three steps).
    lateSlope: rows.length >= 6 ? slope(series.slice(-4)) : null,
    baseMinute: baseRow.minute,
  };
}

/**
 * RSS flat once warm? The last minute against the first minute of the run's second half. workerd
 * raises its full-GC trigger over the first minutes, so any Worker's RSS climbs to a plateau first
 * (a 5-line Worker under bare `workerd serve` too: README.md, "Memory"); what a soak must catch is
 * growth that goes on after that.
 */
function steadyVerdict(rows, key) {
  if (rows.length < 4) return { ...rssVerdict(rows, key), flat: null };
  return rssVerdict(rows.slice(Math.floor(rows.length / 2) - 1), key);
}

/** Lines of the product's log that say something failed or reloaded, counted (numbers and ids blanked so alike lines group). */
function logProblems(file) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const counts = new Map();
  for (const line of text.split("\n")) {
    if (!/error|fail|refus|unreachable|dropp|exception|reload|signal|✘|\[ERROR\]/i.test(line)) continue;
    const key = stripVTControlCharacters(line)
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<id>")
      .replace(/\d+/g, "N")
      .trim()
      .slice(0, 220);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]);
}

async function main(s, abort) {
  const machine = machineInfo({ wrangler: "wrangler", workerd: "miniflare", sdk: "@modelcontextprotocol/sdk", pglite: "@electric-sql/pglite", next: "next" });
  log(`soak: ${MINUTES} min, ${MCP_CLIENTS} MCP + ${LLM_CLIENTS} LLM clients, think ${THINK_MS} ms mean, ${SESSION_CALLS} calls per MCP session, LLM mix ${LLM_MIX.join(",")}, seed ${SEED}`);

  const upstream = await startUpstream(s, "stateful");
  const provider = await startScriptProcess(s, path.join(root, "bench", "llm", "provider.mjs"), [PROVIDER_KEY]);
  log(`upstream ${upstream.url} (pid ${upstream.pid}), fake LLM provider ${provider.url} (pid ${provider.pid})`);
  const product = await startProduct(s, { portal: opts.portal, heap: opts.heap });
  if (abort.signal.aborted) throw new Error("interrupted");
  if (opts.keep) log(`--keep: the scratch folder ${s.tmp} stays (product.log, data/)`);

  const names = [...Array.from({ length: MCP_CLIENTS }, (_, i) => `soak-mcp-${i + 1}`), ...Array.from({ length: LLM_CLIENTS }, (_, i) => `soak-llm-${i + 1}`)];
  const cfg = await configure(product, { upstreamUrl: upstream.url, providerUrl: provider.url, providerKey: PROVIDER_KEY, serverSlug: SERVER_SLUG, providerSlug: PROVIDER_SLUG, tokens: names });
  const roles = productProcesses(product);
  log(`processes: portal Worker workerd ${roles.worker}, dev proxy workerd ${roles.proxy}, console ${roles.console}`);

  const ledger = newLedger();
  const samples = [];
  const sampler = startSampler(product, { upstream, provider }, samples);
  const t0 = Date.now();
  const deadline = t0 + MINUTES * MINUTE_MS;
  const until = () => abort.signal.aborted || Date.now() >= deadline;
  const progress = setInterval(() => {
    const done = ledger.calls.length;
    const errors = ledger.calls.filter((c) => !c.ok).length;
    const last = samples.at(-1);
    log(`${((Date.now() - t0) / MINUTE_MS).toFixed(1)} min: ${done} calls, ${errors} errors, ${ledger.fiveXx.length} 5xx, workerd ${fmt(last?.worker)} MiB, console ${fmt(last?.console)} MiB, events pending ${last?.pending ?? "?"}`);
  }, MINUTE_MS / 2);
  try {
    await Promise.all(
      names.map((name, i) => {
        const common = { ledger, portal: product.portal, token: cfg.tokens[i], name, thinkMs: THINK_MS, seed: SEED * 1000 + i, until };
        return i < MCP_CLIENTS ? mcpClient({ ...common, slug: SERVER_SLUG, sessionCalls: SESSION_CALLS }) : llmClient({ ...common, slug: PROVIDER_SLUG, mix: LLM_MIX });
      }),
    );
  } finally {
    clearInterval(progress);
  }
  const tEnd = Date.now();
  await sampler.stop();
  if (abort.signal.aborted) throw new Error("interrupted");
  log(`traffic done: ${ledger.calls.length} calls in ${((tEnd - t0) / 1000).toFixed(0)} s; waiting for the portal to deliver its events`);

  const delivery = await waitForDelivery(product);
  log(`event buffer: ${JSON.stringify(delivery)}`);
  const viaApi = await auditThroughApi(product);
  log(`GET /api/v1/audit: ${viaApi.length} MCP events`);
  const providerLog = await (await fetch(`${provider.url}/__fake/requests`)).json();
  // Memory the processes keep once no request comes (an allocator gives some back when idle).
  await new Promise((r) => setTimeout(r, Math.max(0, tEnd + IDLE_MS - Date.now())));
  const idleRoles = productProcesses(product);
  const idle = { worker: rssMiB(idleRoles.worker), proxy: idleRoles.proxy ? rssMiB(idleRoles.proxy) : null, console: rssMiB(idleRoles.console), heap: await jsHeap(product, true).catch(() => null) };
  log(`${IDLE_MS / 1000} s after the traffic: portal workerd ${fmt(idle.worker)} MiB, console ${fmt(idle.console)} MiB`);
  await stopGroup(product.pid);
  log("product stopped; reading its database");
  const stored = await storedEvents(product);
  const audit = checkAudit(ledger.calls, stored);
  const storedIds = new Set(stored.mcp.map((r) => r.id));
  const apiMatchesDb = viaApi.length === stored.mcp.length && viaApi.every((e) => storedIds.has(e.id));

  // The provider's view: each LLM call forwarded exactly once.
  const seenByProvider = new Map();
  for (const r of providerLog.requests) {
    const id = /soak call (\S+) in one/.exec(JSON.stringify(r.body ?? ""))?.[1];
    if (id) seenByProvider.set(id, (seenByProvider.get(id) ?? 0) + 1);
  }
  const llmCalls = ledger.calls.filter((c) => c.kind === "llm");
  const providerOnce = llmCalls.filter((c) => seenByProvider.get(c.id) === 1).length;

  machine.loadAfter = loadAverage();
  const rows = perMinute(ledger, samples, t0, Math.ceil(MINUTES));
  const worker = rssVerdict(rows, "worker");
  const steady = steadyVerdict(rows, "worker");
  const consoleRss = rssVerdict(rows, "console");
  const proxy = rssVerdict(rows, "proxy");
  const first = samples[0];
  const last = samples.at(-1);
  const errors = ledger.calls.filter((c) => !c.ok);
  const errorKinds = new Map();
  for (const c of errors) errorKinds.set(`${c.kind} ${c.method}: ${c.error}`, (errorKinds.get(`${c.kind} ${c.method}: ${c.error}`) ?? 0) + 1);
  const sessionOpenErrors = ledger.sessions.filter((x) => x.openError);
  const sessionCloseErrors = ledger.sessions.filter((x) => x.closeError);
  const problems = logProblems(product.logFile);
  const restarts = sampler.restarts;

  // ------------------------------------------------------------------ report
  const L = [];
  L.push(`## Soak: ${MINUTES} min, ${MCP_CLIENTS} MCP + ${LLM_CLIENTS} LLM clients (think ${THINK_MS} ms mean, ${SESSION_CALLS} calls per MCP session, LLM mix ${LLM_OPS.map((op, i) => `${op} ${LLM_MIX[i]}`).join(" · ")}, seed ${SEED}), portal ${product.mode === "wrangler" ? "as npm start runs it" : "built as wrangler deploy uploads it, in Miniflare started by this benchmark (--portal workerd)"}`);
  L.push("");
  L.push(`Machine: ${machine.nproc} cores (${machine.cpu}), ${machine.memGiB} GiB, Node ${machine.node}, wrangler ${machine.wrangler}, workerd (miniflare) ${machine.workerd}, MCP SDK ${machine.sdk}, PGlite ${machine.pglite}, Next ${machine.next}.`);
  L.push(loadLine(machine));
  L.push(product.workerSha256 ? codeLine({ ...machine, workerSha256: product.workerSha256.slice(0, 12) }) : codeLine(machine).replace(/; Worker bundle sha256 .*$/, "; the portal is built from the working tree by npm start (scripts/lib/portal-runner.mjs, or wrangler dev with PORTCULLIS_PORTAL=wrangler)"));
  L.push("");
  L.push("### Per minute");
  L.push("");
  L.push("| min | calls | MCP · LLM | errors | 5xx | sessions | p50 ms | p99 ms | MCP p50 · p99 | LLM p50 · p99 | portal workerd RSS MiB (anon · file) | dev-proxy workerd MiB | console MiB | events pending (max) | load |");
  L.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    L.push(
      `| ${r.minute} | ${r.calls} | ${r.mcp} · ${r.llm} | ${r.errors} | ${r.fiveXx} | ${r.sessions} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.mcpP50)} · ${fmt(r.mcpP99)} | ${fmt(r.llmP50)} · ${fmt(r.llmP99)} | ${fmt(r.worker)} (${fmt(r.workerAnon)} · ${fmt(r.workerFile)}) | ${fmt(r.proxy)} | ${fmt(r.console)} | ${r.pendingMax ?? "–"} | ${fmt(r.load, 2)} |`,
    );
  }
  L.push("");
  L.push("RSS per minute: the median of the samples taken every " + SAMPLE_MS / 1000 + " s in that minute (VmRSS from /proc).");
  L.push("");
  if (product.inspector) {
    L.push("Portal isolate JS heap per minute (--heap), MiB: used (median of samples) · used right after a forced full GC at the minute's first sample:");
    L.push("");
    L.push(rows.map((r) => `${r.minute}: ${fmt(r.heapUsed)} · ${fmt(r.heapAfterGc)}`).join(" — "));
    L.push("");
  }
  L.push("CPU per minute, % of one core (utime + stime from /proc; the machine has " + machine.nproc + "):");
  L.push("");
  L.push("| min | portal workerd | dev-proxy workerd | portal launcher (Node) | console | upstream | LLM provider | clients (this process) |");
  L.push("|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) L.push(`| ${r.minute} | ${CPU_ROLES.map((role) => fmt(r.cpu[role], 0)).join(" | ")} |`);
  L.push("");
  const all = ledger.calls.map((c) => c.ms).sort((a, b) => a - b);
  const flatText = (v, label) =>
    v.flat == null
      ? `${label}: n/a (${v.base == null && v.last == null ? "no such process" : "needs 2 minutes or more"})`
      : `${fmt(v.base)} → ${fmt(v.last)} MiB (${v.growth >= 0 ? "+" : ""}${fmt(v.growth)} %, slope ${fmt(v.slope, 1)} MiB/min${v.lateSlope == null ? "" : `, last 4 min ${fmt(v.lateSlope, 1)} MiB/min`}) ${v.flat ? "✓ flat" : "✗ grows"}`;
  const totals = [
    ["calls (MCP tools/call + tools/list, LLM)", `${ledger.calls.length} (${ledger.calls.length - llmCalls.length} MCP, ${llmCalls.length} LLM) in ${((tEnd - t0) / 1000).toFixed(0)} s, ${fmt(ledger.calls.length / ((tEnd - t0) / 1000))} /s`],
    ["errors (any non-success)", `${errors.length}`],
    ["5xx answers from the portal (every HTTP exchange, sessions included)", `${ledger.fiveXx.length}`],
    ["MCP sessions opened · failed to open · lost (404, reopened) · failed to end", `${ledger.sessions.length} · ${sessionOpenErrors.length} · ${ledger.sessions.filter((x) => x.lost).length} · ${sessionCloseErrors.length}`],
    ["latency p50 · p99 (whole run)", `${fmt(pct(all, 0.5))} ms · ${fmt(pct(all, 0.99))} ms`],
    ["audit events expected (one per call)", `${audit.expected}`],
    ["events stored (mcp_events · llm_events)", `${audit.stored} (${audit.storedMcp} · ${audit.storedLlm})`],
    ["calls found exactly once", `${audit.once}`],
    ["calls missing from the audit log", `${audit.missing.length}${audit.missing.length ? ` (${missingBreakdown(audit.missing)})` : ""}`],
    ["calls with duplicate events (extra events)", `${audit.duplicated.length} (${audit.extraEvents})`],
    ["events matching no call", `${audit.unexpected.length}`],
    ["events under another call's token", `${audit.tokenMismatch.length}`],
    ["GET /api/v1/audit lists exactly the stored MCP events", apiMatchesDb ? `yes (${viaApi.length})` : `NO (API ${viaApi.length}, database ${stored.mcp.length})`],
    ["portal event buffer after the run (pending · dropped)", `${delivery.pending ?? "?"} · ${delivery.dropped ?? "?"}${delivery.drained ? "" : " (did not drain in 180 s)"}`],
    ["LLM calls the provider received exactly once", `${providerOnce} of ${llmCalls.length}`],
    [`portal workerd RSS once warm, minute ${steady.baseMinute} → last (flat: ≤ +${RSS_TOLERANCE} %)`, flatText(steady, "workerd")],
    [`portal workerd RSS, minute ${worker.baseMinute} → last (the warm-up included)`, `${flatText(worker, "workerd")}${restarts.some((r) => r.role === "worker") ? " — the process was replaced during the run (see below): the minutes span more than one process" : ""}`],
    [`dev-proxy workerd RSS, minute ${proxy.baseMinute} → last`, flatText(proxy, "proxy")],
    [`console RSS, minute ${consoleRss.baseMinute} → last`, flatText(consoleRss, "console")],
    [`RSS ${IDLE_MS / 1000} s after the traffic stopped (portal workerd · dev-proxy workerd · console)`, `${fmt(idle.worker)} · ${fmt(idle.proxy)} · ${fmt(idle.console)} MiB${idle.heap ? ` (portal isolate JS heap after GC ${fmt(idle.heap.used)} MiB)` : ""}`],
    ["RSS first sample → last sample (portal workerd · console · upstream · provider)", `${fmt(first?.worker)} → ${fmt(last?.worker)} · ${fmt(first?.console)} → ${fmt(last?.console)} · ${fmt(first?.upstream)} → ${fmt(last?.upstream)} · ${fmt(first?.provider)} → ${fmt(last?.provider)} MiB`],
  ];
  L.push("### Totals");
  L.push("");
  L.push("| measure | value |");
  L.push("|---|---|");
  for (const [k, v] of totals) L.push(`| ${k} | ${v} |`);
  L.push("");
  L.push(`HTTP statuses from the portal: ${[...ledger.statuses.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}: ${v}`).join(", ")}${ledger.networkErrors ? `; network errors: ${ledger.networkErrors}` : ""}.`);
  if (restarts.length) {
    L.push("");
    L.push(`**Processes replaced during the run** (seen by the ${SAMPLE_MS / 1000}-s sampler): ${restarts.map((r) => `${r.role} pid ${r.from} → ${r.to} by ${new Date(r.t).toISOString().slice(11, 19)} (minute ${Math.floor((r.t - t0) / MINUTE_MS) + 1})`).join("; ")}.`);
  }
  if (errorKinds.size) {
    L.push("");
    L.push("Errors by kind:");
    for (const [k, v] of [...errorKinds.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) L.push(`- ${v} × ${k}`);
  }
  if (sessionOpenErrors.length || sessionCloseErrors.length) {
    L.push("");
    L.push("Session errors:");
    for (const x of [...sessionOpenErrors.slice(0, 5).map((x) => `open: ${x.openError}`), ...sessionCloseErrors.slice(0, 5).map((x) => `end: ${x.closeError}`)]) L.push(`- ${x}`);
  }
  if (ledger.fiveXx.length) {
    L.push("");
    L.push("5xx answers (first 10):");
    for (const f of ledger.fiveXx.slice(0, 10)) L.push(`- ${new Date(f.t).toISOString()} ${f.method} ${f.path} → ${f.status}`);
  }
  if (audit.missing.length || audit.duplicated.length || audit.unexpected.length || audit.tokenMismatch.length) {
    L.push("");
    L.push("Audit mismatches (first 10 of each):");
    for (const c of audit.missing.slice(0, 10)) L.push(`- missing: ${c.kind} ${c.method}${c.tool ? ` ${c.tool}` : ""} ${c.id} session ${c.sessionId ?? "–"} ${new Date(c.start).toISOString()}–${new Date(c.end).toISOString()} ${c.ok ? "ok" : `failed: ${c.error}`}`);
    for (const d of audit.duplicated.slice(0, 10)) L.push(`- duplicated ×${d.events}: ${d.call.kind} ${d.call.method} ${d.call.id} ${new Date(d.call.start).toISOString()}`);
    for (const u of audit.unexpected.slice(0, 10)) L.push(`- unexpected: ${JSON.stringify(u)}`);
    for (const t of audit.tokenMismatch.slice(0, 10)) L.push(`- other token: ${JSON.stringify(t)}`);
  }
  if (audit.llmOutsideWindow) L.push(`\nLLM events whose time lies outside their call's window: ${audit.llmOutsideWindow}.`);
  if (ledger.notices.size) {
    L.push("");
    L.push("SDK transport notices outside calls (not counted as call errors):");
    for (const [k, v] of [...ledger.notices.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10)) L.push(`- ${v} × ${k}`);
  }
  if (problems.length) {
    L.push("");
    L.push("Lines in the product's log that mention a failure or a reload (numbers blanked, counted):");
    for (const [k, v] of problems.slice(0, 15)) L.push(`- ${v} × \`${k.replace(/`/g, "'")}\``);
  }
  const targets = {
    noFiveXx: ledger.fiveXx.length === 0,
    noLostEvents: audit.missing.length === 0 && delivery.dropped === 0,
    noDuplicates: audit.duplicated.length === 0,
    noUnexpected: audit.unexpected.length === 0,
    rssFlat: steady.flat !== false,
  };
  L.push("");
  L.push(`Targets: zero 5xx ${targets.noFiveXx ? "✓" : "✗"} · zero lost events ${targets.noLostEvents ? "✓" : "✗"} · zero duplicated events ${targets.noDuplicates ? "✓" : "✗"} · no unexpected events ${targets.noUnexpected ? "✓" : "✗"} · portal workerd RSS flat once warm ${steady.flat == null ? "n/a" : steady.flat ? "✓" : "✗"}`);
  console.log(L.join("\n"));

  if (opts.json) {
    writeFileSync(
      opts.json,
      JSON.stringify({ machine, options: opts, rows, samples, totals: Object.fromEntries(totals), statuses: Object.fromEntries(ledger.statuses), fiveXx: ledger.fiveXx, audit: { ...audit, missing: audit.missing.slice(0, 100), duplicated: audit.duplicated.slice(0, 100), unexpected: audit.unexpected.slice(0, 100) }, problems }, null, 2),
    );
  }
  return Object.values(targets).every(Boolean);
}

// Every process this starts is stopped at the end, on failure and on Ctrl-C / SIGTERM: the helpers
// by their process groups (bench/portal/harness.mjs), the product by its group id (product.mjs).
const s = scratchSession(opts.keep);
const abort = new AbortController();
let closing = null;
const shutdown = () => (closing ??= s.close());
const forceExit = () => shutdown().finally(() => process.exit(130));
let signals = 0;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    abort.abort();
    // The clients stop after their current call; whatever still waits after 15 s (or at a second signal) is cut short.
    if (++signals > 1) return void forceExit();
    log(`${signal}: stopping the clients, then every process started (again to force)`);
    setTimeout(forceExit, 15_000).unref();
  });
}
let code = 1;
try {
  code = (await main(s, abort)) ? 0 : 2;
} catch (error) {
  console.error(abort.signal.aborted ? "interrupted" : error);
} finally {
  s.saveLog = code !== 0;
  await shutdown();
}
process.exit(abort.signal.aborted ? 130 : code);
