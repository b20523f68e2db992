/**
 * Local sign-in is for one person on one machine. It is accepted only when every address the
 * request names is loopback: the Host it was sent to and any forwarding headers. `npm start`
 * also binds the console to 127.0.0.1 in local mode, so remote peers cannot connect at all; this
 * check stops a reverse proxy on the same machine from exposing local sign-in to a network.
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

export function isLoopbackRequest(headers: Headers): boolean {
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
