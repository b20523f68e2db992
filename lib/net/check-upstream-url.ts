/**
 * The upstream SSRF guard. Registering an MCP server makes the console connect to a URL that a
 * user typed; without this guard that URL could be the cloud metadata service (instance
 * credentials), an intranet host, or a service on the console's own loopback.
 *
 * Every address an upstream host resolves to is checked against a built-in deny list; one blocked
 * address refuses the host (a round-robin record must not be a coin toss). Operators allow their
 * own private ranges with PORTCULLIS_ALLOWED_UPSTREAM_CIDRS; local mode allows loopback.
 *
 * `createGuardedFetch` (guarded-fetch.ts) also closes the DNS-rebinding gap between the check and
 * the connection: it resolves once, checks, and connects only to those checked addresses.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { DomainError } from "@/lib/errors";
import { classifyIp, METADATA, type AddressClassification } from "@core/net/address-ranges";
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

// Metadata services answer by name too, and a name cannot be "allowed" by CIDR: refuse it outright.
const BLOCKED_HOSTNAMES = new Set(["metadata.google.internal", "metadata"]);

export interface GuardContext {
  allowed: Cidr[];
  allowLoopback: boolean;
  maxRedirects: number;
  resolve: (hostname: string) => Promise<string[]>;
}

async function systemResolve(hostname: string): Promise<string[]> {
  const records = await dnsLookup(hostname, { all: true, verbatim: true });
  return records.map((r) => r.address);
}

export function guardContext(options: UpstreamGuardOptions): GuardContext {
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

function isAllowed(ip: IpAddress, c: AddressClassification, ctx: GuardContext): boolean {
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

function refusal(host: string, ip: IpAddress, c: AddressClassification): UpstreamAddressError {
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

export interface CheckedTarget {
  /** Host name without IPv6 brackets, as given to the socket layer (TLS SNI, certificate check). */
  hostname: string;
  addresses: IpAddress[];
}

export async function checkTarget(url: URL, ctx: GuardContext): Promise<CheckedTarget> {
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
    const c = classifyIp(ip);
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
