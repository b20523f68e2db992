import { headers } from "next/headers";

/** The console's public origin: AUTH_URL when set (production), else what the browser used. */
export async function consoleOrigin(): Promise<string> {
  // Without reading the request's headers when AUTH_URL decides (they exist only inside a request).
  return process.env.AUTH_URL ? new URL(process.env.AUTH_URL).origin : consoleOriginOf(await headers());
}

/** {@link consoleOrigin} from a request's headers (route handlers that hold the request). */
export function consoleOriginOf(h: Pick<Headers, "get">): string {
  if (process.env.AUTH_URL) return new URL(process.env.AUTH_URL).origin;
  const host = h.get("x-forwarded-host") ?? h.get("host") ?? "localhost:3000";
  const proto = h.get("x-forwarded-proto") ?? "http";
  return `${proto}://${host}`;
}
