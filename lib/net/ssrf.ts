/**
 * The upstream SSRF guard. Registering an MCP server makes the console connect to a URL that a
 * user typed; without this guard that URL could be the cloud metadata service (instance
 * credentials), an intranet host, or a service on the console's own loopback.
 *
 * Every address an upstream host resolves to is checked against a built-in deny list; one blocked
 * address refuses the host (a round-robin record must not be a coin toss). Operators allow their
 * own private ranges with PORTCULLIS_ALLOWED_UPSTREAM_CIDRS; local mode allows loopback.
 *
 * `createGuardedFetch` also closes the DNS-rebinding gap between the check and the connection: it
 * resolves once, checks, and connects only to those checked addresses (see `pinnedLookup`).
 */
import { lookup as dnsLookup } from "node:dns/promises";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { Readable, Transform } from "node:stream";
import zlib from "node:zlib";
import { DomainError } from "@/lib/errors";
import { cidrContains, formatIp, parseCidr, parseIp, unmapIpv4, type Cidr, type IpAddress } from "@core/net/cidr";

export const ALLOWED_CIDRS_ENV = "PORTCULLIS_ALLOWED_UPSTREAM_CIDRS";

export interface UpstreamGuardOptions {
  /** Extra CIDRs allowed even though private/loopback (from env PORTCULLIS_ALLOWED_UPSTREAM_CIDRS, comma-separated). */
  allowedCidrs: string[];
  /** Local mode allows loopback so the demo works. */
  allowLoopback: boolean;
  /** Max redirects to follow, each hop re-checked. Default 5. */
  maxRedirects?: number;
  /**
   * Resolves a host name to all its addresses. Defaults to the system resolver (`dns.lookup` with
   * `all`, the A and AAAA records the OS would connect to); tests pass one to prove pinning.
   */
  resolve?: (hostname: string) => Promise<string[]>;
}

/** The upstream's address is refused by the guard; thrown before any connection is made. */
export class UpstreamAddressError extends DomainError {
  override readonly status = 422;
  override readonly code = "UPSTREAM_ADDRESS_REFUSED";
  constructor(
    message: string,
    /** The URL's host name after URL normalization, without IPv6 brackets. */
    readonly host: string,
    /** The refused address, or null when the URL itself is refused (scheme, host name). */
    readonly address: string | null,
    readonly range: string,
  ) {
    super(message);
  }
}

export function upstreamGuardOptionsFromEnv(env: Record<string, string | undefined> = process.env, localMode = false): UpstreamGuardOptions {
  const allowedCidrs = (env[ALLOWED_CIDRS_ENV] ?? "")
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const invalid = allowedCidrs.filter((c) => !parseCidr(c));
  if (invalid.length) {
    throw new Error(`${ALLOWED_CIDRS_ENV}: ${invalid.map((c) => `"${c}"`).join(", ")} is not a CIDR range or address (e.g. 10.0.0.0/8, 192.168.1.20, fd00::/8)`);
  }
  return { allowedCidrs, allowLoopback: localMode };
}

// ---------------------------------------------------------------------------------------------
// Classification

type Kind = "public" | "loopback" | "metadata" | "private";

interface Classification {
  blocked: boolean;
  range: string;
  kind: Kind;
  /** Set when the address is IPv6 carrying an IPv4 address that was classified instead. */
  via?: "IPv4-mapped IPv6" | "IPv4-translated IPv6" | "IPv4-compatible IPv6" | "NAT64" | "6to4";
}

const METADATA = "cloud metadata";
const RFC1918 = "private network (RFC 1918)";

function table(rows: [string, string, Kind?][]): { cidr: Cidr; range: string; kind: Kind }[] {
  return rows.map(([text, range, kind = "private"]) => ({ cidr: parseCidr(text)!, range, kind }));
}

// Most specific first: the first row that contains an address names its range.
const IPV4_DENY = table([
  ["169.254.169.254/32", METADATA, "metadata"], // AWS, GCP, Azure, OCI, DigitalOcean, OpenStack…
  ["169.254.170.2/32", METADATA, "metadata"], // AWS ECS task credentials
  ["100.100.100.200/32", METADATA, "metadata"], // Alibaba Cloud
  ["168.63.129.16/32", METADATA, "metadata"], // Azure WireServer: a public-looking address that is the host platform
  ["255.255.255.255/32", "broadcast"],
  ["0.0.0.0/8", "this network (0.0.0.0/8)"], // Linux connects 0.0.0.0 to the local host
  ["10.0.0.0/8", RFC1918],
  ["100.64.0.0/10", "carrier-grade NAT (RFC 6598)"],
  ["127.0.0.0/8", "loopback", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["172.16.0.0/12", RFC1918],
  ["192.0.0.0/24", "IETF protocol assignments (192.0.0.0/24)"],
  ["192.168.0.0/16", RFC1918],
  ["198.18.0.0/15", "benchmarking (RFC 2544)"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved (240.0.0.0/4)"],
]);

const IPV6_DENY = table([
  ["fd00:ec2::254/128", METADATA, "metadata"], // AWS IMDS over IPv6
  ["::/128", "unspecified address (::)"],
  ["::1/128", "loopback", "loopback"],
  ["64:ff9b:1::/48", "local-use NAT64 (RFC 8215)"],
  ["fc00::/7", "unique local (private IPv6, RFC 4193)"],
  ["fe80::/10", "link-local"],
  ["fec0::/10", "site-local (deprecated private IPv6)"],
  ["ff00::/8", "multicast"],
]);

/** IPv6 forms that carry an IPv4 address the packet ends up at; the IPv4 address is what counts. */
function embeddedIpv4(ip: IpAddress): { v4: IpAddress; via: NonNullable<Classification["via"]> } | null {
  if (ip.version !== 6) return null;
  const b = ip.bytes;
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const last4 = { version: 4 as const, bytes: b.slice(12) };
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return { v4: last4, via: "IPv4-mapped IPv6" };
  if (zeros(0, 8) && b[8] === 0xff && b[9] === 0xff && zeros(10, 12)) return { v4: last4, via: "IPv4-translated IPv6" };
  if (zeros(0, 12)) return { v4: last4, via: "IPv4-compatible IPv6" };
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return { v4: last4, via: "NAT64" };
  if (b[0] === 0x20 && b[1] === 0x02) return { v4: { version: 4, bytes: b.slice(2, 6) }, via: "6to4" };
  return null;
}

function classify(ip: IpAddress): Classification {
  const deny = ip.version === 4 ? IPV4_DENY : IPV6_DENY;
  const row = deny.find((r) => r.cidr.version === ip.version && cidrContains(r.cidr, ip));
  if (row) return { blocked: true, range: row.range, kind: row.kind };
  const embedded = embeddedIpv4(ip);
  if (embedded) {
    const inner = classify(embedded.v4);
    if (inner.blocked) return { ...inner, range: `${inner.range} via ${embedded.via}`, via: embedded.via };
  }
  return { blocked: false, range: "public", kind: "public" };
}

/** The built-in deny list: whether `ip` is blocked, and the name of its range ("public" if not). */
export function classifyAddress(ip: string): { blocked: boolean; range: string } {
  const parsed = parseIp(ip.replace(/^\[|\]$/g, ""));
  if (!parsed) return { blocked: true, range: "not an IP address" };
  const { blocked, range } = classify(parsed);
  return { blocked, range };
}

// Metadata services answer by name too, and a name cannot be "allowed" by CIDR: refuse it outright.
const BLOCKED_HOSTNAMES = new Set(["metadata.google.internal", "metadata"]);

// ---------------------------------------------------------------------------------------------
// Checking a URL

interface GuardContext {
  allowed: Cidr[];
  allowLoopback: boolean;
  maxRedirects: number;
  resolve: (hostname: string) => Promise<string[]>;
}

async function systemResolve(hostname: string): Promise<string[]> {
  const records = await dnsLookup(hostname, { all: true, verbatim: true });
  return records.map((r) => r.address);
}

function guardContext(options: UpstreamGuardOptions): GuardContext {
  const allowed = options.allowedCidrs.map((text) => {
    const cidr = parseCidr(text);
    if (!cidr) throw new Error(`Allowed upstream CIDR "${text}" is not a CIDR range or address`);
    return cidr;
  });
  return {
    allowed,
    allowLoopback: options.allowLoopback,
    maxRedirects: options.maxRedirects ?? 5,
    resolve: options.resolve ?? systemResolve,
  };
}

function isAllowed(ip: IpAddress, c: Classification, ctx: GuardContext): boolean {
  if (!c.blocked) return true;
  const hostBits = unmapIpv4(ip).version === 4 ? 32 : 128;
  // Metadata hands out credentials: only an exact /32 (or /128) entry allows it, never 0.0.0.0/0
  // or a link-local range someone allowed for another reason.
  if (c.kind === "metadata") return ctx.allowed.some((cidr) => cidr.prefix === hostBits && cidrContains(cidr, ip));
  // Loopback through NAT64 or 6to4 is a gateway's loopback, not ours: only plain or mapped counts.
  if (c.kind === "loopback" && ctx.allowLoopback && (!c.via || c.via === "IPv4-mapped IPv6")) return true;
  // IPv4-mapped addresses match IPv4 entries (same host); NAT64/6to4 forms need their own IPv6 entry.
  return ctx.allowed.some((cidr) => cidrContains(cidr, ip));
}

function refusal(host: string, ip: IpAddress, c: Classification): UpstreamAddressError {
  const address = formatIp(ip);
  const exact = `${address}/${ip.version === 4 ? 32 : 128}`;
  const hint =
    c.kind === "metadata"
      ? `Cloud metadata endpoints hand out instance credentials and are never an MCP upstream; only an exact entry (${exact}) in ${ALLOWED_CIDRS_ENV} allows one.`
      : c.kind === "loopback"
        ? `Loopback upstreams are allowed only in local mode; to allow this one, add ${exact} to ${ALLOWED_CIDRS_ENV}.`
        : `If this upstream is meant to be reachable from Portcullis, add its address (${exact}) or network to ${ALLOWED_CIDRS_ENV}.`;
  const who = parseIp(host) ? `upstream ${host}` : `upstream host "${host}" (resolves to ${address})`;
  return new UpstreamAddressError(`Refused to connect to ${who}: ${address} is in a blocked range (${c.range}). ${hint}`, host, address, c.range);
}

interface CheckedTarget {
  /** Host name without IPv6 brackets, as given to the socket layer (TLS SNI, certificate check). */
  hostname: string;
  addresses: IpAddress[];
}

async function checkTarget(url: URL, ctx: GuardContext): Promise<CheckedTarget> {
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UpstreamAddressError(`Refused upstream URL with scheme ${url.protocol} — only http: and https: are allowed.`, hostname, null, "unsupported scheme");
  }
  if (BLOCKED_HOSTNAMES.has(hostname.replace(/\.+$/, "").toLowerCase())) {
    throw new UpstreamAddressError(`Refused to connect to upstream host "${hostname}": it is a cloud metadata service name, never an MCP upstream.`, hostname, null, METADATA);
  }
  // WHATWG URL parsing already turned 2130706433, 0x7f.1 and 0177.0.0.1 into 127.0.0.1.
  const literal = parseIp(hostname);
  let addresses: IpAddress[];
  if (literal) {
    addresses = [literal];
  } else {
    let resolved: string[];
    try {
      resolved = await ctx.resolve(hostname);
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new TypeError(`Could not resolve upstream host "${hostname}"${code ? ` (${code})` : ""}`, { cause: error });
    }
    addresses = resolved.map((a) => parseIp(a)).filter((a): a is IpAddress => a !== null);
    if (addresses.length === 0 || addresses.length !== resolved.length) {
      throw new TypeError(`Could not resolve upstream host "${hostname}" to IP addresses (got ${JSON.stringify(resolved)})`);
    }
  }
  for (const ip of addresses) {
    const c = classify(ip);
    if (!isAllowed(ip, c, ctx)) throw refusal(hostname, ip, c);
  }
  return { hostname, addresses };
}

/**
 * Refuses (throws UpstreamAddressError) a URL that is not http(s), names a metadata host, or whose
 * host resolves to any blocked address that is not allowed. Never connects.
 */
export async function checkUpstreamUrl(url: string | URL, options: UpstreamGuardOptions): Promise<void> {
  await checkTarget(new URL(url), guardContext(options));
}

// ---------------------------------------------------------------------------------------------
// Guarded fetch
//
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
