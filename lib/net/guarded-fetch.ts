/**
 * A fetch for upstream MCP servers that refuses blocked upstreams (check-upstream-url.ts) and
 * connects only to the addresses it checked, re-checking every redirect hop.
 */
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { Readable, Transform } from "node:stream";
import zlib from "node:zlib";
import { formatIp, type IpAddress } from "@core/net/cidr";
import { checkTarget, guardContext, type GuardContext, type UpstreamGuardOptions } from "./check-upstream-url";

// Why node:http and not the global fetch: Node's fetch (undici) resolves the host itself when it
// connects, so a name that passed the check could resolve to 169.254.169.254 a moment later (DNS
// rebinding); pinning it needs undici's Agent/connect options, and the `undici` package is not a
// dependency of ours. node:http takes a `lookup` function per request, so each request connects
// only to the addresses that were just checked; TLS still verifies the certificate against the
// host name. The response is wrapped into a real Response whose body is a ReadableStream fed
// chunk by chunk from the socket, so SSE streams (Streamable HTTP, legacy SSE) are read as they
// arrive. Each request gets its own connection (no keep-alive pool), so no socket is ever reused
// across checks. Request bodies are buffered (MCP sends small JSON) so 307/308 can resend them.

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
// Hop-by-hop and connection-level headers are ours to set, not the caller's.
const DROPPED_REQUEST_HEADERS = new Set(["host", "connection", "keep-alive", "transfer-encoding", "upgrade", "content-length", "proxy-connection", "te", "trailer"]);
// Fetch drops credentials when a redirect leaves the origin; so do we.
const CROSS_ORIGIN_DROPPED = ["authorization", "proxy-authorization", "cookie"];
const BODY_HEADERS = ["content-type", "content-encoding", "content-language", "content-location"];

/** Connects only to the checked addresses, whatever DNS says now. */
function pinnedLookup(addresses: IpAddress[]): LookupFunction {
  const records = addresses.map((ip) => ({ address: formatIp(ip), family: ip.version }));
  return (hostname, options, callback) => {
    const family = options.family === 4 || options.family === "IPv4" ? 4 : options.family === 6 || options.family === "IPv6" ? 6 : 0;
    const usable = family ? records.filter((r) => r.family === family) : records;
    const first = usable[0];
    if (!first) {
      callback(Object.assign(new Error(`No checked IPv${family} address for ${hostname}`), { code: "ENOTFOUND" }), "", 0);
    } else if (options.all) {
      callback(null, usable);
    } else {
      callback(null, first.address, first.family);
    }
  };
}

function decoded(res: IncomingMessage): Readable {
  const codings = (res.headers["content-encoding"] ?? "")
    .toLowerCase()
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c && c !== "identity");
  // Flush modes as undici uses them, so a compressed event stream is decoded as it arrives.
  const sync = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  const decoders = codings.reverse().map((coding) => {
    if (coding === "gzip" || coding === "x-gzip") return zlib.createGunzip(sync);
    if (coding === "deflate") return zlib.createInflate(sync);
    if (coding === "br") return zlib.createBrotliDecompress({ flush: zlib.constants.BROTLI_OPERATION_FLUSH, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
    return null;
  });
  // An unknown coding is passed through undecoded, as fetch does.
  if (decoders.includes(null)) return res;
  let stream: Readable = res;
  for (const decoder of decoders as Transform[]) {
    const source = stream;
    source.on("error", (error: Error) => decoder.destroy(error));
    stream = source.pipe(decoder);
  }
  return stream;
}

/**
 * A web ReadableStream fed from the socket as data arrives, with backpressure. Cancelling it ends
 * the request; `abort` errors it with the signal's reason, as fetch does.
 */
function responseBody(res: IncomingMessage, onDone: () => void): { body: ReadableStream<Uint8Array>; abort: (reason: unknown) => void } {
  const source = decoded(res);
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let done = false;
  const finish = (then: () => void) => {
    if (done) return;
    done = true;
    onDone();
    then();
  };
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      source.on("data", (chunk: Buffer) => {
        if (done) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) source.pause();
      });
      source.once("end", () => finish(() => controller.close()));
      source.on("error", (error: unknown) => finish(() => controller.error(new TypeError("terminated", { cause: error }))));
      res.on("error", () => {}); // reported through `source` or "close"
      res.once("close", () => {
        // Closed without "end": the connection broke mid-body, which fetch reports as "terminated".
        if (!res.complete) finish(() => controller.error(new TypeError("terminated", { cause: new Error("upstream closed the connection") })));
      });
    },
    pull() {
      source.resume();
    },
    cancel() {
      finish(() => {});
      res.destroy();
    },
  });
  const abort = (reason: unknown) => {
    finish(() => controller.error(reason));
    res.destroy();
  };
  return { body, abort };
}

interface Hop {
  url: URL;
  method: string;
  headers: Headers;
  body: Uint8Array | null;
}

async function send(hop: Hop, ctx: GuardContext, signal: AbortSignal | null): Promise<Response> {
  const target = await checkTarget(hop.url, ctx);
  signal?.throwIfAborted();
  const headers: Record<string, string> = {};
  hop.headers.forEach((value, name) => {
    if (!DROPPED_REQUEST_HEADERS.has(name)) headers[name] = value;
  });
  headers.accept ??= "*/*";
  headers["accept-encoding"] ??= "gzip, deflate, br";
  if (hop.body) headers["content-length"] = String(hop.body.byteLength);
  else if (["POST", "PUT", "PATCH"].includes(hop.method)) headers["content-length"] = "0";

  return new Promise<Response>((resolve, reject) => {
    const client = hop.url.protocol === "https:" ? https : http;
    const req = client.request({
      hostname: target.hostname,
      port: hop.url.port || undefined,
      path: `${hop.url.pathname}${hop.url.search}`,
      method: hop.method,
      headers,
      lookup: pinnedLookup(target.addresses),
      agent: false,
    });
    let abortBody: ((reason: unknown) => void) | undefined;
    const onAbort = () => {
      if (abortBody) return abortBody(signal?.reason);
      req.destroy();
      reject(signal?.reason);
    };
    const cleanup = () => signal?.removeEventListener("abort", onAbort);
    signal?.addEventListener("abort", onAbort, { once: true });

    req.on("error", (error) => {
      if (abortBody) return; // the body stream reports it
      cleanup();
      reject(signal?.aborted ? signal.reason : new TypeError("fetch failed", { cause: error }));
    });
    req.once("response", (res) => {
      const status = res.statusCode ?? 0;
      const responseHeaders = new Headers();
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
        try {
          responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        } catch {
          // A header value that fetch cannot represent is dropped rather than failing the response.
        }
      }
      let body: ReadableStream<Uint8Array> | null = null;
      if (NULL_BODY_STATUSES.has(status) || hop.method === "HEAD") {
        abortBody = () => res.destroy();
        res.on("error", () => {});
        res.once("close", cleanup);
        res.resume();
      } else {
        ({ body, abort: abortBody } = responseBody(res, cleanup));
      }
      try {
        resolve(new Response(body, { status, statusText: res.statusMessage ?? "", headers: responseHeaders }));
      } catch (error) {
        res.destroy();
        reject(new TypeError(`Upstream answered with a status fetch cannot represent (${status})`, { cause: error }));
      }
    });
    req.end(hop.body ?? undefined);
  });
}

function withUrl(response: Response, url: URL, redirected: boolean): Response {
  const href = new URL(url);
  href.hash = "";
  Object.defineProperties(response, { url: { value: href.href }, redirected: { value: redirected } });
  return response;
}

/**
 * A fetch that refuses blocked upstreams before connecting, connects only to the addresses it
 * checked, and follows redirects itself (`redirect: "follow"`, the default), re-checking every hop
 * up to `maxRedirects`. `redirect: "manual"` returns the 3xx response as Node's fetch does (the
 * MCP SDK's same-origin redirect policy relies on that); `"error"` rejects on a redirect.
 */
export function createGuardedFetch(options: UpstreamGuardOptions): typeof fetch {
  const ctx = guardContext(options);
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const signal = init?.signal ?? (input instanceof Request ? input.signal : null);
    signal?.throwIfAborted();
    // Request normalizes method, headers and every body type (and its content-type) as fetch does;
    // its signal is ours to handle, so it is not linked here.
    const request = new Request(input, { ...init, signal: null });
    const mode = request.redirect;
    let hop: Hop = {
      url: new URL(request.url),
      method: request.method,
      headers: new Headers(request.headers),
      body: request.body ? new Uint8Array(await request.arrayBuffer()) : null,
    };
    for (let redirects = 0; ; redirects++) {
      const response = await send(hop, ctx, signal);
      const location = REDIRECT_STATUSES.has(response.status) ? response.headers.get("location") : null;
      if (location === null || mode === "manual") return withUrl(response, hop.url, redirects > 0);
      await response.body?.cancel();
      if (mode === "error") throw new TypeError(`Upstream ${hop.url.origin} redirected, and redirect mode is "error"`);
      let next: URL;
      try {
        next = new URL(location, hop.url);
      } catch (error) {
        throw new TypeError(`Upstream ${hop.url.origin} redirected to an invalid URL`, { cause: error });
      }
      if (redirects >= ctx.maxRedirects) {
        throw new TypeError(`Too many redirects: more than ${ctx.maxRedirects} starting from ${new URL(request.url).origin}`);
      }
      if (!next.hash) next.hash = hop.url.hash;
      const headers = new Headers(hop.headers);
      let { method, body } = hop;
      if (((response.status === 301 || response.status === 302) && method === "POST") || (response.status === 303 && method !== "GET" && method !== "HEAD")) {
        method = "GET";
        body = null;
        for (const name of BODY_HEADERS) headers.delete(name);
      }
      if (next.origin !== hop.url.origin) for (const name of CROSS_ORIGIN_DROPPED) headers.delete(name);
      hop = { url: next, method, headers, body };
    }
  };
}
