/**
 * IPv4 and IPv6 addresses and CIDR ranges, parsed strictly and matched bytewise. Pure: used by the
 * upstream SSRF guard in the console and by the edge policy engine for client-IP conditions.
 *
 * Strict on purpose: a dotted quad with a leading zero (`010.0.0.1`) is refused rather than read
 * as octal or decimal, because a filter and a socket that disagree on an address are an exploit.
 */

export type IpVersion = 4 | 6;

export interface IpAddress {
  readonly version: IpVersion;
  /** 4 bytes for IPv4, 16 for IPv6, network order. */
  readonly bytes: Uint8Array;
}

export interface Cidr {
  readonly version: IpVersion;
  /** The network address: host bits are zero. */
  readonly network: Uint8Array;
  readonly prefix: number;
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function parseIpv4Bytes(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (const [i, part] of parts.entries()) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    bytes[i] = n;
  }
  return bytes;
}

function parseGroups(text: string): number[] | null {
  if (text === "") return [];
  const groups: number[] = [];
  const parts = text.split(":");
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4Bytes(part);
      if (!v4) return null;
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else if (/^[0-9a-f]{1,4}$/i.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return null;
    }
  }
  return groups;
}

function parseIpv6Bytes(text: string): Uint8Array | null {
  // A zone index (fe80::1%eth0) names an interface, not a different address.
  const address = text.replace(/%[^%]*$/, "");
  const halves = address.split("::");
  if (halves.length > 2) return null;
  const head = parseGroups(halves[0]!);
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!head || !tail) return null;
  // A dotted quad may only end the address.
  if (halves.length === 2 && halves[0]!.includes(".")) return null;
  const count = head.length + tail.length;
  if (halves.length === 1 ? count !== 8 : count > 7) return null;
  const groups = [...head, ...new Array<number>(8 - count).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/** `192.0.2.1`, `2001:db8::1`, `::ffff:192.0.2.1`, `fe80::1%eth0` → address; anything else → null. No brackets. */
export function parseIp(text: string): IpAddress | null {
  const t = text.trim();
  if (t.includes(":")) {
    const bytes = parseIpv6Bytes(t);
    return bytes ? { version: 6, bytes } : null;
  }
  const bytes = parseIpv4Bytes(t);
  return bytes ? { version: 4, bytes } : null;
}

/**
 * IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is how dual-stack sockets report IPv4 peers: it is the same
 * host as the IPv4 address, so matching treats it as that address.
 */
export function unmapIpv4(ip: IpAddress): IpAddress {
  if (ip.version === 6 && MAPPED_PREFIX.every((b, i) => ip.bytes[i] === b)) return { version: 4, bytes: ip.bytes.slice(12) };
  return ip;
}

function masked(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - 8 * i));
    out[i] = bytes[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** `10.0.0.0/8`, `fd00::/8`, or a bare address (a single host). Host bits are cleared. Null if invalid. */
export function parseCidr(text: string): Cidr | null {
  const t = text.trim();
  const slash = t.indexOf("/");
  const ip = parseIp(slash < 0 ? t : t.slice(0, slash));
  if (!ip) return null;
  const max = ip.version === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = t.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > max) return null;
    prefix = Number(p);
  }
  // ::ffff:0:0/96 and narrower are IPv4 ranges written as IPv6; store them as IPv4 (see unmapIpv4).
  if (ip.version === 6 && prefix >= 96 && unmapIpv4(ip).version === 4) {
    return { version: 4, network: masked(ip.bytes.slice(12), prefix - 96), prefix: prefix - 96 };
  }
  return { version: ip.version, network: masked(ip.bytes, prefix), prefix };
}

/** Whether `ip` lies in `cidr`; an IPv4-mapped IPv6 address matches as its IPv4 address. */
export function cidrContains(cidr: Cidr, ip: IpAddress | string): boolean {
  const parsed = typeof ip === "string" ? parseIp(ip) : ip;
  if (!parsed) return false;
  const address = unmapIpv4(parsed);
  if (address.version !== cidr.version) return false;
  const bytes = masked(address.bytes, cidr.prefix);
  return bytes.every((b, i) => b === cidr.network[i]);
}

/** `192.0.2.1`; IPv6 in RFC 5952 form (`2001:db8::1`, `::ffff:192.0.2.1`). */
export function formatIp(ip: IpAddress): string {
  if (ip.version === 4) return Array.from(ip.bytes).join(".");
  if (unmapIpv4(ip).version === 4) return `::ffff:${Array.from(ip.bytes.slice(12)).join(".")}`;
  const groups = Array.from({ length: 8 }, (_, i) => (ip.bytes[2 * i]! << 8) | ip.bytes[2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp({ version: cidr.version, bytes: cidr.network })}/${cidr.prefix}`;
}
