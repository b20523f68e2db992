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
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({ options: { lines: { type: "string", default: "300000" }, rounds: { type: "string", default: "3" } } });
const LINES = Number(opts.lines);
const ROUNDS = Number(opts.rounds);
const TARGET = 200_000;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

const tmp = mkdtempSync(path.join(os.tmpdir(), "portcullis-bench-shadow-"));
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

  const rows = [];
  for (const format of ["cloudflare", "generic"]) {
    const corpus = generateCorpus(format);
    const base = corpus.lines.map((l) => l.line);
    const lines = Array.from({ length: LINES }, (_, i) => base[i % base.length]);
    const bytes = lines.reduce((n, l) => n + l.length, 0);
    const run = (fn) => {
      const t0 = performance.now();
      let flagged = 0;
      for (const line of lines) flagged += fn(line);
      return { seconds: (performance.now() - t0) / 1000, flagged };
    };
    const detector = (line) => {
      const parsed = parseLine(line, format);
      return parsed.ok && classifyRecord(parsed.record).mcp ? 1 : 0;
    };
    const jsonOnly = (line) => (JSON.parse(line) ? 0 : 1);
    // What POST /api/v1/traffic does per upload: bytes in 64 KiB chunks → lines → parse → per-server aggregate.
    const buffer = new TextEncoder().encode(`${lines.join("\n")}\n`);
    const ingest = () => {
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
      return { seconds: (performance.now() - t0) / 1000, servers };
    };
    ingest(); // warm-up
    run(detector); // warm-up
    run(jsonOnly);
    const det = [];
    const base2 = [];
    const full = [];
    let flagged = 0;
    let servers = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const a = run(detector);
      det.push(LINES / a.seconds);
      flagged = a.flagged;
      base2.push(LINES / run(jsonOnly).seconds);
      const f = ingest();
      full.push(LINES / f.seconds);
      servers = f.servers;
    }
    const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    rows.push({ format, lines: LINES, avgBytes: Math.round(bytes / LINES), detector: median(det), json: median(base2), full: median(full), flagged, servers });
  }

  const nproc = os.cpus().length;
  let head = "?";
  try {
    head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
  } catch {
    // not a git checkout
  }
  console.log(`Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC: ${nproc} cores (${os.cpus()[0]?.model ?? "?"}), Node ${process.version}, HEAD ${head}; one process (one core); ${ROUNDS} rounds, median; load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}\n`);
  console.log("| format | lines | avg bytes/line | flagged as MCP | parse + classify lines/s | JSON.parse alone lines/s | detector ÷ JSON.parse | target ≥ 200,000/s | ingest path (split + parse + aggregate) lines/s | MB/s | servers |");
  console.log("|---|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(`| ${r.format} | ${r.lines.toLocaleString("en-US")} | ${r.avgBytes} | ${(r.flagged / r.lines * 100).toFixed(1)} % | ${Math.round(r.detector).toLocaleString("en-US")} | ${Math.round(r.json).toLocaleString("en-US")} | ${(r.detector / r.json * 100).toFixed(0)} % | ${r.detector >= TARGET ? "✓" : "✗"} | ${Math.round(r.full).toLocaleString("en-US")} | ${((r.full * r.avgBytes) / 1e6).toFixed(0)} | ${r.servers} |`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
