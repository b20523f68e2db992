/**
 * Support for the upstream SSRF guard's tests. This machine may only ever connect to loopback, and
 * these tests must prove that the guard refuses before connecting: `installConnectTripwire()` inspects
 * every socket connect in the test file's process, records and throws at a connect to anything but
 * loopback, and asserts after each test that none happened.
 */
import net from "node:net";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { UpstreamAddressError, type UpstreamGuardOptions } from "@/lib/net/check-upstream-url";

const offLimits: string[] = [];
const isLoopbackIp = (ip: string) => /^127\./.test(ip) || ip === "::1" || /^::ffff:127\./i.test(ip);
const realConnect = net.Socket.prototype.connect;
type LookupCallback = (err: Error | null, address: string | { address: string }[], family?: number) => void;
type LookupFn = (host: string, options: { all?: boolean }, cb: LookupCallback) => void;

function tripwire(this: net.Socket, ...args: unknown[]) {
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (first && typeof first === "object" && !("path" in first && (first as { path?: string }).path)) {
    const options = first as { host?: string; lookup?: LookupFn };
    const host = options.host ?? "localhost";
    if (net.isIP(host) && !isLoopbackIp(host)) {
      offLimits.push(host);
      throw new Error(`test tripwire: refused to connect to ${host}`);
    }
    const lookup = options.lookup;
    if (!net.isIP(host) && lookup) {
      options.lookup = (hostname, lookupOptions, cb) =>
        lookup(hostname, lookupOptions, (err, address, family) => {
          const addresses = typeof address === "string" ? [address] : address.map((a) => a.address);
          const bad = addresses.filter((a) => !isLoopbackIp(a));
          if (bad.length) {
            offLimits.push(...bad);
            return cb(new Error(`test tripwire: ${hostname} resolved to ${bad.join(", ")}`), "", 0);
          }
          cb(err, address, family);
        });
    } else if (!net.isIP(host) && host !== "localhost") {
      offLimits.push(host);
      throw new Error(`test tripwire: refused to connect to ${host}`);
    }
  }
  return (realConnect as (...a: unknown[]) => net.Socket).apply(this, args);
}

export function installConnectTripwire(): void {
  beforeAll(() => {
    net.Socket.prototype.connect = tripwire as typeof realConnect;
  });
  afterAll(() => {
    net.Socket.prototype.connect = realConnect;
  });
  afterEach(() => {
    const attempted = offLimits.splice(0);
    expect(attempted, "connections to non-loopback addresses were attempted").toEqual([]);
  });
}

export const local: UpstreamGuardOptions = { allowLoopback: true, allowedCidrs: [] };
export const strict: UpstreamGuardOptions = { allowLoopback: false, allowedCidrs: [] };

/** The guard's refusal that `promise` rejects with; fails the test if it resolves or rejects otherwise. */
export async function refusal(promise: Promise<unknown>): Promise<UpstreamAddressError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamAddressError);
  return error as UpstreamAddressError;
}
