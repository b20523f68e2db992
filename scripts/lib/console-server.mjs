#!/usr/bin/env node
// The console's HTTP server: Next.js behind a plain Node server that knows each connection's TCP
// peer. It drops any incoming `x-portcullis-peer` header and sets its own, carrying the peer address
// and this process's key (PORTCULLIS_PEER_KEY, made by scripts/start.mjs at each start), so the
// console can tell a request from this machine from one relayed by a proxy (lib/auth/loopback.ts).
// Run by `npm start` (and `npm run dev` with --dev); not meant to be started by hand.
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";
import { PEER_HEADER, peerHeaderValue } from "./peer-header.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const dev = process.argv.includes("--dev");
const hostname = process.env.HOST || "127.0.0.1";
const port = Number(process.env.PORT || "3000");
const key = process.env.PORTCULLIS_PEER_KEY;
if (!key) {
  console.error("[portcullis] PORTCULLIS_PEER_KEY is not set; start the console with `npm start`");
  process.exit(1);
}

const app = next({ dev, dir: root, hostname, port });
await app.prepare();
const handle = app.getRequestHandler();
const upgrade = app.getUpgradeHandler();

function stamp(req) {
  delete req.headers[PEER_HEADER];
  req.headers[PEER_HEADER] = peerHeaderValue(key, req.socket.remoteAddress ?? "");
}

const server = createServer((req, res) => {
  stamp(req);
  handle(req, res).catch((error) => {
    console.error("[portcullis] request failed", error);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end("Internal error");
  });
});
// Development's hot reload uses WebSockets.
server.on("upgrade", (req, socket, head) => {
  stamp(req);
  upgrade(req, socket, head).catch(() => socket.destroy());
});
server.keepAliveTimeout = 65_000;
server.listen(port, hostname, () => {
  console.log(`[portcullis] console ready (${dev ? "development" : "production"})`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    server.close();
    app.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 5_000).unref();
  });
}
