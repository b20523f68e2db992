import { describe, expect, it } from "vitest";
import { PEER_HEADER, peerHeaderValue } from "@/scripts/lib/peer-header.mjs";
import { isLoopbackAddress, isLoopbackRequest as isLoopbackWithKey, peerAddress } from "./loopback";

const KEY = "per-start-key-0123456789abcdef";
/** Headers as scripts/lib/console-server.mjs passes them on: the client's, plus the peer it saw. */
const req = (headers: Record<string, string>, peer = "127.0.0.1") => new Headers({ ...headers, [PEER_HEADER]: peerHeaderValue(KEY, peer) });
const isLoopbackRequest = (headers: Headers) => isLoopbackWithKey(headers, KEY);

describe("loopback detection for local sign-in", () => {
  it.each(["127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1", "localhost"])("%s is loopback", (a) => {
    expect(isLoopbackAddress(a)).toBe(true);
  });

  it.each(["10.0.0.1", "192.168.1.1", "203.0.113.7", "::ffff:10.0.0.1", "127.evil.com", "0.0.0.0", ""])("%s is not loopback", (a) => {
    expect(isLoopbackAddress(a)).toBe(false);
  });

  it("accepts a request to localhost with a loopback forwarded-for", () => {
    expect(isLoopbackRequest(req({ host: "localhost:3000", "x-forwarded-for": "::1" }))).toBe(true);
    expect(isLoopbackRequest(req({ host: "127.0.0.1:3000" }))).toBe(true);
    expect(isLoopbackRequest(req({ host: "[::1]:3000" }))).toBe(true);
  });

  it("refuses a public Host (DNS rebinding or a reverse proxy keeping the Host)", () => {
    expect(isLoopbackRequest(req({ host: "portcullis.acme.com" }))).toBe(false);
    expect(isLoopbackRequest(req({ host: "localhost.evil.com:3000" }))).toBe(false);
  });

  it("refuses when any forwarding header names another address", () => {
    expect(isLoopbackRequest(req({ host: "localhost:3000", "x-forwarded-for": "203.0.113.7, 127.0.0.1" }))).toBe(false);
    expect(isLoopbackRequest(req({ host: "localhost:3000", "x-real-ip": "10.1.1.1" }))).toBe(false);
    expect(isLoopbackRequest(req({ host: "localhost:3000", forwarded: "for=203.0.113.7;proto=https" }))).toBe(false);
    expect(isLoopbackRequest(req({ host: "localhost:3000", "x-forwarded-host": "portcullis.acme.com" }))).toBe(false);
  });

  it("refuses a request without a Host", () => {
    expect(isLoopbackRequest(req({}))).toBe(false);
  });

  it("decides by the TCP peer: a remote peer is refused even when every header says localhost (a proxy rewriting Host)", () => {
    expect(isLoopbackRequest(req({ host: "localhost:3000" }, "203.0.113.7"))).toBe(false);
    expect(isLoopbackRequest(req({ host: "localhost:3000" }, "::ffff:10.0.0.5"))).toBe(false);
    expect(isLoopbackRequest(req({ host: "localhost:3000" }, "::1"))).toBe(true);
    expect(isLoopbackRequest(req({ host: "localhost:3000" }, "::ffff:127.0.0.1"))).toBe(true);
  });

  it("trusts the peer header only with this process's key, and fails closed without one", () => {
    const forged = new Headers({ host: "localhost:3000", [PEER_HEADER]: peerHeaderValue("guessed-key-0123456789abcdefgh", "127.0.0.1") });
    expect(isLoopbackRequest(forged)).toBe(false);
    expect(isLoopbackRequest(new Headers({ host: "localhost:3000", [PEER_HEADER]: "127.0.0.1" }))).toBe(false);
    expect(isLoopbackRequest(new Headers({ host: "localhost:3000" }))).toBe(false);
    // Started some other way than `npm start` (no key): nothing is trusted.
    expect(isLoopbackWithKey(req({ host: "localhost:3000" }), undefined)).toBe(false);
    expect(isLoopbackWithKey(req({ host: "localhost:3000" }), "")).toBe(false);
    expect(peerAddress(req({ host: "x" }, "::1"), KEY)).toBe("::1");
  });
});
