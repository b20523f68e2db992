import { describe, expect, it } from "vitest";
import { digestsEqual, generateSecret, generateTokenSecret, hashTokenSecret, looksLikeTokenSecret, visiblePrefix } from "./secret";

describe("API token secrets", () => {
  it("are pcs_ plus 32 URL-safe characters, and never repeat", () => {
    const secrets = new Set(Array.from({ length: 200 }, generateTokenSecret));
    expect(secrets.size).toBe(200);
    for (const s of secrets) expect(looksLikeTokenSecret(s)).toBe(true);
  });

  it("of another kind take their own prefix and the same 192 random bits", () => {
    const other = generateSecret("pcl_");
    expect(other).toMatch(/^pcl_[A-Za-z0-9_-]{32}$/);
    expect(looksLikeTokenSecret(other)).toBe(false);
    expect(visiblePrefix(other)).toBe(other.slice(0, 12));
  });

  it("hash to the SHA-256 hex digest (a known vector)", async () => {
    expect(await hashTokenSecret("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("show only a 12-character prefix", () => {
    expect(visiblePrefix("pcs_ABCDEFGHijklmnopqrstuvwxyz012345")).toBe("pcs_ABCDEFGH");
  });

  it("reject look-alikes", () => {
    expect(looksLikeTokenSecret("pcs_short")).toBe(false);
    expect(looksLikeTokenSecret("xyz_ABCDEFGHijklmnopqrstuvwxyz012345")).toBe(false);
    expect(looksLikeTokenSecret("pcs_ABCDEFGHijklmnopqrstuvwxyz01234!")).toBe(false);
  });

  it("compare digests exactly", () => {
    expect(digestsEqual("abcd", "abcd")).toBe(true);
    expect(digestsEqual("abcd", "abce")).toBe(false);
    expect(digestsEqual("abcd", "abc")).toBe(false);
  });
});
