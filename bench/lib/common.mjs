/**
 * What the portal and LLM benchmarks share. Node built-ins only: the helper processes import it too.
 */
import { createServer } from "node:http";

/** Listens on a free port of 127.0.0.1; the server's origin. */
export async function listenLocal(server) {
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${server.address().port}`;
}

/**
 * Stands in for the console's event ingest: answers 200 to every `POST /api/v1/events` batch and
 * counts the batches and events in `state` (no signature check); any other request goes to `other`.
 */
export function eventSinkServer(state, other = (req, res) => res.writeHead(404).end()) {
  return createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/api/v1/events") {
        const n = JSON.parse(Buffer.concat(chunks).toString("utf8")).events?.length ?? 0;
        state.batches += 1;
        state.events += n;
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ accepted: n, duplicates: 0 }));
      } else other(req, res);
    });
  });
}

/**
 * A helper process is ready: prints `ready` as one line of JSON (what `startScriptProcess` reads),
 * then stops on SIGTERM/SIGINT or when its stdin closes, so it never outlives the benchmark.
 */
export function announceReady(ready) {
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
}
