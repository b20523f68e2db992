import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { open, parseKeyRing, seal } from "./secret-box";

const key = () => randomBytes(32).toString("base64");

describe("secret box (AES-256-GCM with key ids)", () => {
  const ring = parseKeyRing(`k2:${key()},k1:${key()}`);

  it("round-trips and never contains the plaintext", () => {
    const { envelope, keyId } = seal('{"token":"s3cr3t-value"}', "server:1", ring);
    expect(keyId).toBe("k2");
    expect(envelope).toMatch(/^v1\.k2\./);
    expect(envelope).not.toContain("s3cr3t");
    expect(open(envelope, "server:1", ring)).toBe('{"token":"s3cr3t-value"}');
  });

  it("uses a fresh IV each time", () => {
    expect(seal("x", "a", ring).envelope).not.toBe(seal("x", "a", ring).envelope);
  });

  it("refuses a tampered envelope or another record's AAD", () => {
    const { envelope } = seal("secret", "server:1", ring);
    const parts = envelope.split(".");
    const body = Buffer.from(parts[3]!, "base64url");
    body[0] = body[0]! ^ 1;
    expect(() => open([...parts.slice(0, 3), body.toString("base64url")].join("."), "server:1", ring)).toThrow();
    expect(() => open(envelope, "server:2", ring)).toThrow();
  });

  it("refuses an envelope whose authentication tag was cut short", () => {
    // An empty plaintext leaves only the 16-byte tag; its first 4 bytes are what a shortened tag would check.
    const { envelope } = seal("", "server:1", ring);
    expect(open(envelope, "server:1", ring)).toBe("");
    const parts = envelope.split(".");
    for (const keep of [4, 8, 12, 15]) {
      const truncated = Buffer.from(parts[3]!, "base64url").subarray(0, keep).toString("base64url");
      expect(() => open([...parts.slice(0, 3), truncated].join("."), "server:1", ring), `${keep} bytes`).toThrow();
    }
  });

  it("decrypts with an older key after rotation, and names a missing key", () => {
    const old = parseKeyRing(`k1:${ring.all.get("k1")!.toString("base64")}`);
    const { envelope } = seal("from before", "r", old);
    expect(open(envelope, "r", ring)).toBe("from before");
    expect(() => open(envelope, "r", parseKeyRing(`k9:${key()}`))).toThrow(/no encryption key "k1"/);
  });

  it("validates the key ring", () => {
    expect(() => parseKeyRing("k1:short")).toThrow(/32 bytes/);
    expect(() => parseKeyRing("nocolon")).toThrow(/<key id>:<base64 key>/);
    expect(() => parseKeyRing("")).toThrow(/empty/);
  });
});
