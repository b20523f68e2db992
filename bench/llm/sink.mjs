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
import { announceReady, eventSinkServer, listenLocal } from "../lib/common.mjs";

const state = { batches: 0, events: 0 };
const server = eventSinkServer(state, (req, res) => {
  if (req.method === "GET" && req.url === "/stats") res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(state));
  else res.writeHead(404).end();
});
announceReady({ url: await listenLocal(server) });
