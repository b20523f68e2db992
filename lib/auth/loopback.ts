import { timingSafeEqual } from "node:crypto";
import { PEER_HEADER } from "@/scripts/lib/peer-header.mjs";

/**
 * Local sign-in is for one person on one machine. It is accepted only when the TCP peer is
 * loopback — told by the console's own server (scripts/lib/console-server.mjs), which replaces any
 * incoming `x-portcullis-peer` with the peer address and a key only it and this process know — and
 * every address the request names is loopback too: the Host it was sent to (so a web page whose
 * name resolves to 127.0.0.1 cannot sign in; DNS rebinding) and any forwarding headers (so a
 * reverse proxy on this machine does not expose local sign-in to a network). Without the key (the
 * console not started by `npm start`), local sign-in is refused: fail closed.
 */
const LOOPBACK_HOSTNAMES = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

export function isLoopbackAddress(address: string): boolean {
  const a = address.trim().replace(/^\[|\]$/g, "").toLowerCase();
  if (a === "::1" || a === "localhost") return true;
  const v4 = a.startsWith("::ffff:") ? a.slice(7) : a;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  return h.split(":")[0] ?? "";
}

/** The TCP peer the console's server saw, when the header carries this process's key; otherwise null. */
export function peerAddress(headers: Headers, key: string | undefined = process.env.PORTCULLIS_PEER_KEY): string | null {
  const value = headers.get(PEER_HEADER);
  if (!key || !value) return null;
  const space = value.indexOf(" ");
  if (space < 0) return null;
  const given = Buffer.from(value.slice(0, space));
  const expected = Buffer.from(key);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return value.slice(space + 1);
}

export function isLoopbackRequest(headers: Headers, key: string | undefined = process.env.PORTCULLIS_PEER_KEY): boolean {
  const peer = peerAddress(headers, key);
  if (peer === null || !isLoopbackAddress(peer)) return false;
  const host = headers.get("host");
  if (!host) return false;
  const hostname = hostnameOf(host);
  if (!LOOPBACK_HOSTNAMES.has(hostname) && !isLoopbackAddress(hostname)) return false;
  const forwardedHost = headers.get("x-forwarded-host");
  if (forwardedHost && forwardedHost.split(",").some((h) => !LOOPBACK_HOSTNAMES.has(hostnameOf(h)) && !isLoopbackAddress(hostnameOf(h)))) {
    return false;
  }
  for (const name of ["x-forwarded-for", "x-real-ip"]) {
    const value = headers.get(name);
    if (value && value.split(",").some((ip) => !isLoopbackAddress(ip))) return false;
  }
  const forwarded = headers.get("forwarded");
  if (forwarded) {
    for (const match of forwarded.matchAll(/for="?([^";,]+)"?/gi)) if (!isLoopbackAddress(match[1] ?? "")) return false;
  }
  return true;
}
