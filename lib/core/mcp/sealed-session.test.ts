import { describe, expect, it } from "vitest";
import { generateEdgeSecret, openAtEdge, openSessionId, parseEdgeSecrets, sealSessionId } from "@core/edge/secret";
import { decodeSealedSession, encodeSealedSession, needsDurableSession, SEALED_SESSION_MAX_AGE_SECONDS, type SealedSession } from "./sealed-session";

const NOW = 1_800_000_000;
const session: SealedSession = { userId: "u-1", tokenId: "t-1", scope: null, protocolVersion: "2025-06-18", clientInfo: { name: "claude-code", version: "2.1.0" }, issuedAt: NOW };

describe("sealed session payload", () => {
  it("round-trips, and clips a long client name so the id stays short", () => {
    expect(decodeSealedSession(encodeSealedSession(session), NOW + 10)).toEqual(session);
    const long = { ...session, clientInfo: { name: "n".repeat(5_000), version: "v".repeat(5_000) } };
    const text = encodeSealedSession(long);
    expect(text.length).toBeLessThan(250);
    expect(decodeSealedSession(text, NOW)!.clientInfo.name).toBe("n".repeat(48));
  });

  it("is refused once expired, from the future, or not a payload of ours", () => {
    const text = encodeSealedSession(session);
    expect(decodeSealedSession(text, NOW + SEALED_SESSION_MAX_AGE_SECONDS)).not.toBeNull();
    expect(decodeSealedSession(text, NOW + SEALED_SESSION_MAX_AGE_SECONDS + 1)).toBeNull();
    expect(decodeSealedSession(text, NOW - 120)).toBeNull();
    expect(decodeSealedSession("not json", NOW)).toBeNull();
    expect(decodeSealedSession(JSON.stringify({ u: "x" }), NOW)).toBeNull();
    expect(decodeSealedSession(encodeSealedSession({ ...session, protocolVersion: "2024-11-05" }), NOW)).toBeNull();
  });
});

describe("needsDurableSession", () => {
  const init = (capabilities: unknown, protocolVersion = "2025-11-25") => ({ protocolVersion, capabilities, clientInfo: { name: "c", version: "1" } });

  it("seals a client that cannot be asked anything, in the revisions the sealed path speaks", () => {
    for (const version of ["2025-11-25", "2025-06-18", "2025-03-26"]) expect(needsDurableSession(init({}, version))).toBe(false);
    expect(needsDurableSession(init({ experimental: {} }))).toBe(false);
  });

  it("keeps a session object for sampling, elicitation or roots, old revisions, and anything malformed", () => {
    for (const capabilities of [{ sampling: {} }, { elicitation: {} }, { roots: { listChanged: true } }]) expect(needsDurableSession(init(capabilities))).toBe(true);
    expect(needsDurableSession(init({}, "2024-11-05"))).toBe(true);
    expect(needsDurableSession(init(null))).toBe(true);
    expect(needsDurableSession({ protocolVersion: "2025-06-18", capabilities: {} })).toBe(true);
    expect(needsDurableSession({ protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "c" } })).toBe(true);
    expect(needsDurableSession(undefined)).toBe(true);
  });
});

describe("sealSessionId / openSessionId", () => {
  it("opens what it sealed, with the current or a previous secret; an id is visible ASCII", async () => {
    const [old, current] = [generateEdgeSecret(), generateEdgeSecret()];
    const id = await sealSessionId("hello", await parseEdgeSecrets(old));
    expect(id).toMatch(/^s1\.[0-9a-f]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(await openSessionId(id, await parseEdgeSecrets(`${current},${old}`))).toBe("hello");
    expect(await openSessionId(id, await parseEdgeSecrets(current))).toBeNull();
  });

  it("refuses an altered id, and is not interchangeable with a sealed credential", async () => {
    const secrets = await parseEdgeSecrets(generateEdgeSecret());
    const id = await sealSessionId("hello", secrets);
    const last = id.at(-2) === "A" ? "B" : "A";
    expect(await openSessionId(`${id.slice(0, -2)}${last}${id.at(-1)}`, secrets)).toBeNull();
    expect(await openSessionId(id.replace(/^s1\./, "s2."), secrets)).toBeNull();
    expect(await openSessionId("s1.", secrets)).toBeNull();
    // Same secret, different key: a session id does not open as a credential (nor the other way round).
    const [, kid, iv, ct] = id.split(".");
    await expect(openAtEdge({ kid: kid!, sealed: `${iv}.${ct}` }, secrets, "s1.")).rejects.toThrow();
  });
});
