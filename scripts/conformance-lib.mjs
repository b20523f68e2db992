/**
 * Runs the official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned 0.1.13: the
 * newest that runs on Node 20) against one MCP server URL and judges every server scenario strictly.
 *
 * The suite's own summary marks a scenario ✓ when none of its checks FAILED — so a scenario whose
 * checks all came back WARNING, or "not applicable" (INFO), counts as a pass there (0.1.13's
 * server-sse-polling reads "✓ 0 passed, 0 failed" against a server that never closes the stream).
 * Here a scenario is:
 *   failed    a check FAILED, or the suite crashed or timed out on it
 *   warnings  no failure, but a check came back WARNING (a SHOULD of the spec not met)
 *   skipped   no failure or warning, but the suite reported a check as not applicable (INFO other
 *             than its request/response/event logs), or no check succeeded at all: the behaviour
 *             was not exercised
 *   passed    everything else: at least one check succeeded and every check succeeded or was a log
 * Only `passed` counts toward `passed`.
 *
 * The suite cannot send extra HTTP headers (no option, no environment variable: its client is built
 * from the URL alone). With `headers` (e.g. a portal API token), the suite talks to a local
 * pass-through proxy that adds them; see startHeaderProxy.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

const require = createRequire(import.meta.url);
const SUITE_PACKAGE = require.resolve("@modelcontextprotocol/conformance/package.json");
const SUITE_CLI = path.join(path.dirname(SUITE_PACKAGE), "dist", "index.js");

export const SUITE_VERSION = "0.1.13";

/** Scenarios 0.1.13 keeps out of its default ("active") suite; they run here too, and are flagged. */
export const PENDING_SCENARIOS = new Set(["json-schema-2020-12", "server-sse-polling"]);

/** INFO checks that only log the exchange; any other INFO check means "not applicable, skipped". */
const LOG_CHECK_IDS = new Set(["outgoing-request", "incoming-response", "incoming-sse-event", "stream-closed"]);

const DEFAULT_SCENARIO_TIMEOUT_MS = 90_000; // the SDK client's own request timeout is 60 s

/**
 * @typedef {{ id: string, status: "SUCCESS" | "FAILURE" | "WARNING" | "INFO", message?: string }} CheckSummary
 * @typedef {{
 *   name: string,
 *   status: "passed" | "failed" | "warnings" | "skipped",
 *   failures: string[],
 *   warnings: string[],
 *   skipped: string[],
 *   succeeded: number,
 *   pending: boolean,
 *   checks: CheckSummary[],
 * }} ScenarioResult
 * @typedef {{ url: string, suiteVersion: string, scenarios: ScenarioResult[], passed: number, total: number }} ConformanceResult
 */

async function suiteVersion() {
  return JSON.parse(await readFile(SUITE_PACKAGE, "utf8")).version;
}

function runSuite(args, { timeoutMs = 30_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SUITE_CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** The server scenario names of the installed suite, in its order. */
export async function listServerScenarios() {
  const { code, stdout, stderr } = await runSuite(["list", "--server"]);
  if (code !== 0) throw new Error(`conformance list failed (${code}): ${stderr.trim()}`);
  return stdout
    .split("\n")
    .map((line) => /^\s+-\s+(\S+)\s*$/.exec(line)?.[1])
    .filter(Boolean);
}

/**
 * Judges one scenario from the suite's checks (see the module comment for the rules).
 * @param {string} name
 * @param {Array<{ id: string, status: string, errorMessage?: string, description?: string, details?: { message?: string } }>} checks
 * @returns {ScenarioResult}
 */
export function judgeScenario(name, checks) {
  const describe = (check) => {
    const message = check.errorMessage ?? check.details?.message ?? check.description;
    return message ? `${check.id}: ${message}` : check.id;
  };
  const failures = checks.filter((check) => check.status === "FAILURE").map(describe);
  const warnings = checks.filter((check) => check.status === "WARNING").map(describe);
  const skipped = checks.filter((check) => check.status === "INFO" && !LOG_CHECK_IDS.has(check.id)).map(describe);
  const succeeded = checks.filter((check) => check.status === "SUCCESS").length;
  if (succeeded === 0 && failures.length === 0 && warnings.length === 0 && skipped.length === 0) skipped.push("(no check succeeded)");
  const status = failures.length ? "failed" : warnings.length ? "warnings" : skipped.length ? "skipped" : "passed";
  return {
    name,
    status,
    failures,
    warnings,
    skipped,
    succeeded,
    pending: PENDING_SCENARIOS.has(name),
    checks: checks.map((check) => ({
      id: check.id,
      status: /** @type {CheckSummary["status"]} */ (check.status),
      ...(check.errorMessage ? { message: check.errorMessage } : {}),
    })),
  };
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Reads the checks the suite wrote to `<output-dir>/server-<scenario>-<ISO timestamp>/checks.json`. */
async function readChecks(outputDir, name) {
  const pattern = new RegExp(`^server-${escapeRegExp(name)}-\\d{4}-\\d{2}-\\d{2}T`);
  const resultDir = (await readdir(outputDir)).find((entry) => pattern.test(entry));
  return resultDir ? JSON.parse(await readFile(path.join(outputDir, resultDir, "checks.json"), "utf8")) : undefined;
}

async function withOutputDir(use) {
  const outputDir = await mkdtemp(path.join(tmpdir(), "mcp-conformance-"));
  try {
    return await use(outputDir);
  } finally {
    await rm(outputDir, { recursive: true, force: true });
  }
}

const runnerFailure = (name, run, timeoutMs) =>
  judgeScenario(name, [
    {
      id: "runner",
      status: "FAILURE",
      errorMessage: run.timedOut ? `timed out after ${timeoutMs} ms` : `suite exited ${run.code} without results: ${run.stderr.trim().split("\n").slice(-3).join(" | ")}`,
    },
  ]);

/** One suite process for one scenario: isolated, with its own timeout. */
function runScenario(url, name, timeoutMs) {
  return withOutputDir(async (outputDir) => {
    const run = await runSuite(["server", "--url", url, "--scenario", name, "--output-dir", outputDir], { timeoutMs });
    const checks = await readChecks(outputDir, name);
    return checks ? judgeScenario(name, checks) : runnerFailure(name, run, timeoutMs);
  });
}

/**
 * One suite process for the whole suite (`--suite all`, sequential; ~20× faster than a process per
 * scenario). Returns the scenarios that produced results; the caller reruns the others one by one.
 */
function runWholeSuite(url, names, timeoutMs) {
  return withOutputDir(async (outputDir) => {
    await runSuite(["server", "--url", url, "--suite", "all", "--output-dir", outputDir], { timeoutMs });
    const results = new Map();
    for (const name of names) {
      const checks = await readChecks(outputDir, name);
      if (checks) results.set(name, judgeScenario(name, checks));
    }
    return results;
  });
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"]);

function withoutHopByHop(headers) {
  return Object.fromEntries(Object.entries(headers).filter(([name, value]) => value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())));
}

/**
 * A local pass-through proxy to `target` that adds `headers` to every request. Bodies stream both
 * ways without buffering (SSE responses arrive event by event), and a client hanging up aborts the
 * upstream request, so the server sees the disconnect as it would directly.
 *
 * Host and Origin naming the proxy itself are rewritten to the target's, so the target sees what a
 * direct client would send; any other Host or Origin (the suite's DNS-rebinding probe sends
 * `evil.example.com`) goes through untouched, so that scenario still tests the target.
 *
 * @param {string} target the MCP URL to forward to; the proxy serves the same path
 * @param {Record<string, string>} headers
 * @returns {Promise<{ url: string, close(): Promise<void> }>}
 */
export async function startHeaderProxy(target, headers) {
  const targetUrl = new URL(target);
  const transport = targetUrl.protocol === "https:" ? https : http;
  // A new connection per request: with keep-alive, a request sent on a pooled socket the target has
  // just closed as idle fails with ECONNRESET, and its body (already streamed) cannot be sent again.
  // CI saw that as a 502 from this proxy, read by the suite as the portal's answer.
  const agent = new transport.Agent({ keepAlive: false });
  const added = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  let proxyHost = "";

  const server = http.createServer({ noDelay: true }, (req, res) => {
    const forwarded = withoutHopByHop(req.headers);
    if (forwarded.host === proxyHost) forwarded.host = targetUrl.host;
    if (forwarded.origin === `http://${proxyHost}`) forwarded.origin = targetUrl.origin;
    Object.assign(forwarded, added);

    const upstream = transport.request(
      {
        protocol: targetUrl.protocol,
        hostname: targetUrl.hostname.replace(/^\[|\]$/g, ""),
        port: targetUrl.port || undefined,
        method: req.method,
        path: req.url,
        headers: forwarded,
        setHost: false,
        agent,
      },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.statusMessage, withoutHopByHop(response.headers));
        res.flushHeaders();
        response.pipe(res);
        response.on("error", () => res.destroy());
      },
    );
    let clientGone = false;
    upstream.on("error", (error) => {
      if (!clientGone) console.error(`[conformance proxy] ${req.method} ${req.url}: ${error.message}`);
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message: `proxy: ${error.message}` }, id: null }));
      } else res.destroy();
    });
    // The client went away (e.g. cancelled an SSE stream): hang up upstream too.
    res.on("close", () => {
      if (res.writableFinished) return;
      clientGone = true;
      upstream.destroy();
    });
    req.pipe(upstream);
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  proxyHost = `127.0.0.1:${server.address().port}`;
  return {
    url: `http://${proxyHost}${targetUrl.pathname}${targetUrl.search}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

/**
 * Runs every server scenario of the installed suite against `url`: all of them in one suite process
 * first; any scenario left without results (the process crashed or hit `suiteTimeoutMs`) is rerun in
 * its own process. A `scenarios` subset runs one process per scenario.
 *
 * @param {string} url the server's MCP endpoint
 * @param {object} [options]
 * @param {Record<string, string>} [options.headers] added to every request (through startHeaderProxy)
 * @param {string[]} [options.scenarios] a subset to run; default all server scenarios
 * @param {number} [options.concurrency=2] single-scenario processes run at once
 * @param {number} [options.timeoutMs=90000] per single-scenario process
 * @param {number} [options.suiteTimeoutMs=600000] for the whole-suite process
 * @returns {Promise<ConformanceResult>}
 */
export async function runConformance(url, { headers, scenarios, concurrency = 2, timeoutMs = DEFAULT_SCENARIO_TIMEOUT_MS, suiteTimeoutMs = 600_000 } = {}) {
  const version = await suiteVersion();
  const known = await listServerScenarios();
  const names = scenarios ?? known;
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length) throw new Error(`unknown server scenario(s): ${unknown.join(", ")}`);

  const proxy = headers && Object.keys(headers).length ? await startHeaderProxy(url, headers) : undefined;
  const suiteUrl = proxy?.url ?? url;
  try {
    const done = scenarios ? new Map() : await runWholeSuite(suiteUrl, names, suiteTimeoutMs);
    const missing = names.filter((name) => !done.has(name));
    let next = 0;
    const worker = async () => {
      while (next < missing.length) {
        const name = missing[next++];
        done.set(name, await runScenario(suiteUrl, name, timeoutMs));
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, missing.length)) }, worker));
    const results = names.map((name) => done.get(name));
    return { url, suiteVersion: version, scenarios: results, passed: results.filter((result) => result.status === "passed").length, total: results.length };
  } finally {
    await proxy?.close();
  }
}

/**
 * Scenarios whose status differs between two runs (e.g. direct and through the portal).
 * @param {ConformanceResult} expected
 * @param {ConformanceResult} actual
 */
export function diffConformance(expected, actual) {
  const actualByName = new Map(actual.scenarios.map((scenario) => [scenario.name, scenario]));
  return expected.scenarios
    .map((scenario) => ({ name: scenario.name, expected: scenario.status, actual: actualByName.get(scenario.name)?.status ?? "missing" }))
    .filter(({ expected: status, actual: other }) => status !== other);
}

/** A plain-text table of a result, with the `passed N of M` total line last. */
export function formatConformance(result) {
  const width = Math.max(...result.scenarios.map((scenario) => scenario.name.length + (scenario.pending ? 10 : 0)), 8);
  const lines = [`${"scenario".padEnd(width)}  ${"status".padEnd(8)}  checks  failed / warning / skipped checks`];
  for (const scenario of result.scenarios) {
    const name = `${scenario.name}${scenario.pending ? " (pending)" : ""}`;
    const notes = [
      ...scenario.failures.map((note) => `FAIL ${note}`),
      ...scenario.warnings.map((note) => `WARN ${note}`),
      ...scenario.skipped.map((note) => `SKIP ${note}`),
    ];
    const counted = scenario.checks.filter((check) => check.status !== "INFO").length;
    lines.push(`${name.padEnd(width)}  ${scenario.status.padEnd(8)}  ${`${scenario.succeeded}/${counted}`.padEnd(6)}  ${notes.join("; ")}`);
  }
  const count = (status) => result.scenarios.filter((scenario) => scenario.status === status).length;
  lines.push("");
  lines.push(`suite ${result.suiteVersion}${result.suiteVersion === SUITE_VERSION ? "" : ` (expected ${SUITE_VERSION})`} against ${result.url}`);
  lines.push(`failed ${count("failed")}, warnings ${count("warnings")}, skipped ${count("skipped")}`);
  lines.push(`passed ${result.passed} of ${result.total}`);
  return lines.join("\n");
}
