const BASE = "https://console.invalid";

/**
 * Where to go after sign-in: only a path of this console, as path + query + fragment. The value is
 * parsed the way a browser parses it (`new URL(value, base)`), so forms a browser normalises into
 * another origin (`/\t/evil.example` → `//evil.example`, `/\evil.example`, `\/evil.example`) are
 * refused along with `//host` and absolute URLs; control characters and backslashes are refused outright.
 */
export function safeRedirectPath(value: unknown): string {
  if (typeof value !== "string" || !value.startsWith("/") || value.length > 2048) return "/";
  // C0 controls, DEL and backslashes: browsers strip or rewrite them before resolving.
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x5c) return "/";
  }
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return "/";
  }
  // A normalised path can itself start with "//" (`/.//evil.example`): as a Location it names a host.
  if (url.origin !== BASE || url.pathname.startsWith("//")) return "/";
  return `${url.pathname}${url.search}${url.hash}`;
}
