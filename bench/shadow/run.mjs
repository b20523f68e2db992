#!/usr/bin/env node
/**
 * Shadow-MCP classifier throughput (issue 6, "Benchmark"): log lines per second on one core, for
 * both traffic formats (Cloudflare Gateway HTTP Logpush and generic proxy NDJSON), parse + classify,
 * in one process (one core). Baseline in the same run: `JSON.parse` of the same lines alone, so the
 * ratio says what the detector adds on top of reading the line at all.
 *
 *   npm run bench:shadow                      # 300,000 lines per format, 3 rounds
 *   npm run bench:shadow -- --lines 1000000 --rounds 5
 *
 * The lines are the labelled corpus the quality test uses (testing/corpora/shadow-traffic.ts, deterministic),
 * repeated to the requested count: positives across transports and protocol versions and the hard
 * negatives (other JSON-RPC, LLM streams, SSE feeds, "mcp" lookalikes) in their natural mix.
 *
 * Each figure is also given per CPU-second of this process (process.cpuUsage): what one core does
 * when other processes share the machine's cores, where wall-clock figures drop with the load.
 * The last column times the whole ingest as POST /api/v1/traffic runs it — ingestTraffic into an
 * embedded PGlite database, migrated — on --store-lines lines per format (an upload of the same
 * bytes is recognized as a duplicate, so each timed upload differs by its count of trailing blank lines).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { ReadableStream } from "node:stream/web";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({ options: { lines: { type: "string", default: "300000" }, rounds: { type: "string", default: "3" }, "store-lines": { type: "string", default: "50000" } } });
const LINES = Number(opts.lines);
const ROUNDS = Number(opts.rounds);
const STORE_LINES = Math.min(Number(opts["store-lines"]), LINES);
const TARGET = 200_000;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

const tmp = mkdtempSync(path.join(os.tmpdir(), "portcullis-bench-shadow-"));
// The store bundle keeps its packages external: it must sit where Node finds the repo's node_modules.
mkdirSync(path.join(root, "node_modules", ".cache"), { recursive: true });
const storeTmp = mkdtempSync(path.join(root, "node_modules", ".cache", "portcullis-bench-shadow-"));
try {
  const { build } = await import("esbuild");
  const outfile = path.join(tmp, "shadow.mjs");
  await build({
    stdin: { contents: `export { parseLine } from "./lib/core/shadow/records"; export { classifyRecord } from "./lib/core/shadow/detect"; export { generateCorpus } from "./testing/corpora/shadow-traffic"; export { LineSplitter } from "./lib/core/shadow/lines"; export { ServerAggregator } from "./lib/core/shadow/servers";`, resolveDir: root, loader: "ts" },
    bundle: true,
    format: "esm",
    platform: "neutral",
    outfile,
    logLevel: "warning",
  });
  const { parseLine, classifyRecord, generateCorpus, LineSplitter, ServerAggregator } = await import(pathToFileURL(outfile).href);
  // The console's ingest verb and database client, for the store column (Node, packages from node_modules).
  const storeFile = path.join(storeTmp, "store.mjs");
  await build({
    stdin: { contents: `export { openDatabase } from "./db/client"; export { ingestTraffic } from "./lib/shadow/ingest-traffic"; export { BOOTSTRAP_ACTOR } from "./lib/auth/actor";`, resolveDir: root, loader: "ts" },
    bundle: true,
    format: "esm",
    platform: "node",
    packages: "external",
    outfile: storeFile,
    logLevel: "warning",
  });

  const cpuSeconds = (since) => {
    const d = process.cpuUsage(since);
    return (d.user + d.system) / 1e6;
  };
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const rows = [];
  for (const format of ["cloudflare", "generic"]) {
    const corpus = generateCorpus(format);
    const base = corpus.lines.map((l) => l.line);
    const lines = Array.from({ length: LINES }, (_, i) => base[i % base.length]);
    const bytes = lines.reduce((n, l) => n + l.length, 0);
    const run = (fn) => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      let flagged = 0;
      for (const line of lines) flagged += fn(line);
      return { seconds: (performance.now() - t0) / 1000, cpu: cpuSeconds(c0), flagged };
    };
    const detector = (line) => {
      const parsed = parseLine(line, format);
      return parsed.ok && classifyRecord(parsed.record).mcp ? 1 : 0;
    };
    const jsonOnly = (line) => (JSON.parse(line) ? 0 : 1);
    // What POST /api/v1/traffic does per upload: bytes in 64 KiB chunks → lines → parse → per-server aggregate.
    const buffer = new TextEncoder().encode(`${lines.join("\n")}\n`);
    const ingest = () => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const splitter = new LineSplitter();
      const agg = new ServerAggregator();
      const take = (events) => {
        for (const e of events) {
          if (!("text" in e)) continue;
          const parsed = parseLine(e.text, format);
          if (parsed.ok) agg.push(parsed.record);
        }
      };
      for (let at = 0; at < buffer.length; at += 65_536) take(splitter.push(buffer.subarray(at, at + 65_536)));
      take(splitter.end());
      const servers = agg.finish().length;
      return { seconds: (performance.now() - t0) / 1000, cpu: cpuSeconds(c0), servers };
    };
    ingest(); // warm-up
    run(detector); // warm-up
    run(jsonOnly);
    const det = [];
    const detCpu = [];
    const base2 = [];
    const base2Cpu = [];
    const full = [];
    let flagged = 0;
    let servers = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const a = run(detector);
      det.push(LINES / a.seconds);
      detCpu.push(LINES / a.cpu);
      flagged = a.flagged;
      const j = run(jsonOnly);
      base2.push(LINES / j.seconds);
      base2Cpu.push(LINES / j.cpu);
      const f = ingest();
      full.push(LINES / f.seconds);
      servers = f.servers;
    }
    rows.push({
      format,
      lines: LINES,
      avgBytes: Math.round(bytes / LINES),
      detector: median(det),
      detectorCpu: median(detCpu),
      json: median(base2),
      jsonCpu: median(base2Cpu),
      full: median(full),
      flagged,
      servers,
      storeLines: lines.slice(0, STORE_LINES),
    });
  }

  // The whole ingest of POST /api/v1/traffic into the database, after the in-process figures (so the
  // database's work and garbage never run inside them): an upload of STORE_LINES lines as 64 KiB chunks.
  const { openDatabase, ingestTraffic, BOOTSTRAP_ACTOR } = await import(pathToFileURL(storeFile).href);
  const database = await openDatabase({ driver: "pglite", dataDir: undefined });
  const ctx = { db: database.db, actor: BOOTSTRAP_ACTOR };
  let uploads = 0;
  // Each upload must be new to the duplicate check, which hashes each 50,000-line chunk: the same lines,
  // rotated by one more line each time (the same traffic in another order).
  const store = async (format, lines) => {
    const k = uploads++ % lines.length;
    const bytes = new TextEncoder().encode(`${[...lines.slice(k), ...lines.slice(0, k)].join("\n")}\n`);
    const body = new ReadableStream({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 65_536) controller.enqueue(bytes.subarray(at, at + 65_536));
        controller.close();
      },
    });
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await ingestTraffic(ctx, { body, format, filename: `bench-${format}.ndjson` });
    if (out.upload.duplicateOf !== null || out.upload.lines < STORE_LINES) throw new Error(`bench upload was not a full new upload: ${JSON.stringify(out.upload)}`);
    return { seconds: (performance.now() - t0) / 1000, cpu: cpuSeconds(c0) };
  };
  try {
    for (const r of rows) {
      await store(r.format, r.storeLines); // warm-up: the first upload creates the findings, the timed ones update them
      const stored = [];
      const storedCpu = [];
      for (let k = 0; k < ROUNDS; k++) {
        const st = await store(r.format, r.storeLines);
        stored.push(STORE_LINES / st.seconds);
        storedCpu.push(STORE_LINES / st.cpu);
      }
      r.stored = median(stored);
      r.storedCpu = median(storedCpu);
    }
  } finally {
    await database.close();
  }

  const nproc = os.cpus().length;
  let head = "?";
  try {
    head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
  } catch {
    // not a git checkout
  }
  console.log(`Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC: ${nproc} cores (${os.cpus()[0]?.model ?? "?"}), Node ${process.version}, HEAD ${head}; one process (one core); ${ROUNDS} rounds, median; load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}\n`);
  const n = (x) => Math.round(x).toLocaleString("en-US");
  console.log(`| format | lines | avg bytes/line | flagged as MCP | parse + classify lines/s | JSON.parse alone lines/s | detector ÷ JSON.parse | parse + classify per CPU-s (per core) | target ≥ 200,000/s per core | JSON.parse per CPU-s | ingest path (split + parse + aggregate) lines/s | MB/s | servers | ingest + store (PGlite, ${n(STORE_LINES)} lines) lines/s | per CPU-s |`);
  console.log("|---|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(
      `| ${r.format} | ${n(r.lines)} | ${r.avgBytes} | ${(r.flagged / r.lines * 100).toFixed(1)} % | ${n(r.detector)} | ${n(r.json)} | ${(r.detector / r.json * 100).toFixed(0)} % | ${n(r.detectorCpu)} | ${r.detectorCpu >= TARGET ? "✓" : "✗"} | ${n(r.jsonCpu)} | ${n(r.full)} | ${((r.full * r.avgBytes) / 1e6).toFixed(0)} | ${r.servers} | ${n(r.stored)} | ${n(r.storedCpu)} |`,
    );
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
  rmSync(storeTmp, { recursive: true, force: true });
}
