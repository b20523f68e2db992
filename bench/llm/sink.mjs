#!/usr/bin/env node
/**
 * Stands in for the console's event ingest, in its own process: the portal delivers a usage event
 * for every gateway call, and parsing those batches must not take CPU from the load generator's
 * event loop (bench/portal/harness.mjs startEventSink runs in the benchmark's own process).
 *
 *   node bench/llm/sink.mjs
 *
 * Answers 200 to every `POST /api/v1/events` batch and counts the events (no signature check);
 * `GET /stats` → `{ batches, events }`. Prints `{"url": "http://127.0.0.1:<port>"}` once it listens.
 * Stops on SIGTERM/SIGINT or when its stdin closes.
 */
import { createServer } from "node:http";

const state = { batches: 0, events: 0 };
const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    if (req.method === "POST" && req.url === "/api/v1/events") {
      const n = JSON.parse(Buffer.concat(chunks).toString("utf8")).events?.length ?? 0;
      state.batches += 1;
      state.events += n;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ accepted: n, duplicates: 0 }));
    } else if (req.method === "GET" && req.url === "/stats") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(state));
    } else res.writeHead(404).end();
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
