import { describe, expect, it } from "vitest";
import { bundleTtlMs, DEFAULT_BUNDLE_TTL_HOURS, effectiveExpiry, expiryFor, leaseDue, leaseTerms } from "./lease";

const HOUR = 3_600_000;

describe("bundle expiry and leases", () => {
  it("reads the TTL setting in hours, with a default and bounds", () => {
    expect(bundleTtlMs(undefined)).toBe(DEFAULT_BUNDLE_TTL_HOURS * HOUR);
    expect(bundleTtlMs("")).toBe(DEFAULT_BUNDLE_TTL_HOURS * HOUR);
    expect(bundleTtlMs("nonsense")).toBe(DEFAULT_BUNDLE_TTL_HOURS * HOUR);
    expect(bundleTtlMs("-3")).toBe(DEFAULT_BUNDLE_TTL_HOURS * HOUR);
    expect(bundleTtlMs("2")).toBe(2 * HOUR);
    expect(bundleTtlMs("0.0001")).toBe(60_000);
    expect(bundleTtlMs("100000")).toBe(30 * 24 * HOUR);
  });

  it("expires a bundle at the later of its own expiry and its lease; never one without expiry", () => {
    const issued = new Date("2026-12-06T00:00:00Z");
    const expiresAt = expiryFor(issued, 12 * HOUR);
    expect(expiresAt).toBe("2026-12-06T12:00:00.000Z");
    expect(effectiveExpiry(expiresAt, null)).toBe(Date.parse(expiresAt));
    expect(effectiveExpiry(expiresAt, Date.parse("2026-12-06T20:00:00Z"))).toBe(Date.parse("2026-12-06T20:00:00Z"));
    expect(effectiveExpiry(expiresAt, Date.parse("2026-12-06T01:00:00Z"))).toBe(Date.parse(expiresAt));
    expect(effectiveExpiry(undefined, Date.parse("2026-12-06T01:00:00Z"))).toBeNull();
  });

  it("renews when less than three quarters of the TTL is left", () => {
    const now = Date.parse("2026-12-06T00:00:00Z");
    expect(leaseDue(now + 11 * HOUR, now, 12 * HOUR)).toBe(false);
    expect(leaseDue(now + 8 * HOUR, now, 12 * HOUR)).toBe(true);
    expect(leaseDue(now - HOUR, now, 12 * HOUR)).toBe(true);
    expect(leaseDue(null, now, 12 * HOUR)).toBe(false);
  });

  it("reads only well-formed lease terms", () => {
    expect(leaseTerms({ typ: "x", version: 4, exp: 100 })).toEqual({ version: 4, expMs: 100_000 });
    expect(leaseTerms({ version: "4", exp: 100 })).toBeNull();
    expect(leaseTerms({ version: 4.5, exp: 100 })).toBeNull();
    expect(leaseTerms(null)).toBeNull();
  });
});
