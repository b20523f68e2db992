/**
 * The built-in deny list of the upstream SSRF guard: which IP addresses an upstream must not be
 * (cloud metadata, loopback, private and reserved ranges), with the name of each range. Pure, so
 * it is tested on its own; the console's guard (lib/net) adds the operator's allow list and DNS.
 */
import { cidrContains, parseCidr, parseIp, type Cidr, type IpAddress } from "./cidr";

export type AddressKind = "public" | "loopback" | "metadata" | "private";

export interface AddressClassification {
  blocked: boolean;
  range: string;
  kind: AddressKind;
  /** Set when the address is IPv6 carrying an IPv4 address that was classified instead. */
  via?: "IPv4-mapped IPv6" | "IPv4-translated IPv6" | "IPv4-compatible IPv6" | "NAT64" | "6to4";
}

export const METADATA = "cloud metadata";
const RFC1918 = "private network (RFC 1918)";

function table(rows: [string, string, AddressKind?][]): { cidr: Cidr; range: string; kind: AddressKind }[] {
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
function embeddedIpv4(ip: IpAddress): { v4: IpAddress; via: NonNullable<AddressClassification["via"]> } | null {
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

/** Classifies a parsed address; an IPv6 form that carries an IPv4 address is judged by that address. */
export function classifyIp(ip: IpAddress): AddressClassification {
  const deny = ip.version === 4 ? IPV4_DENY : IPV6_DENY;
  const row = deny.find((r) => r.cidr.version === ip.version && cidrContains(r.cidr, ip));
  if (row) return { blocked: true, range: row.range, kind: row.kind };
  const embedded = embeddedIpv4(ip);
  if (embedded) {
    const inner = classifyIp(embedded.v4);
    if (inner.blocked) return { ...inner, range: `${inner.range} via ${embedded.via}`, via: embedded.via };
  }
  return { blocked: false, range: "public", kind: "public" };
}

/** The built-in deny list: whether `ip` is blocked, and the name of its range ("public" if not). */
export function classifyAddress(ip: string): { blocked: boolean; range: string } {
  const parsed = parseIp(ip.replace(/^\[|\]$/g, ""));
  if (!parsed) return { blocked: true, range: "not an IP address" };
  const { blocked, range } = classifyIp(parsed);
  return { blocked, range };
}
