import { describe, expect, it } from "vitest";
import { generateEdgeSecret, parseEdgeSecrets, signEdgeRequest, signEventBody, verifyEdgeRequest, verifyEventSignature } from "./secret";

describe("edge request signatures (console → portal operator endpoints)", () => {
  it("verify with any configured secret, for the method and path signed, within the tolerance", async () => {
    const [current, previous] = await Promise.all([parseEdgeSecrets(generateEdgeSecret()), parseEdgeSecrets(generateEdgeSecret())]);
    const both = [...current, ...previous];
    const now = 1_800_000_000;
    const byPrevious = await signEdgeRequest("GET", "/_portcullis/status", previous, now);
    expect(await verifyEdgeRequest(byPrevious, "GET", "/_portcullis/status", both, now)).toBe(true);
    expect(await verifyEdgeRequest(byPrevious, "get", "/_portcullis/status", both, now + 300)).toBe(true);
    expect(await verifyEdgeRequest(byPrevious, "GET", "/_portcullis/status", current, now)).toBe(false);
    expect(await verifyEdgeRequest(byPrevious, "GET", "/_portcullis/events", both, now)).toBe(false);
    expect(await verifyEdgeRequest(byPrevious, "POST", "/_portcullis/status", both, now)).toBe(false);
    expect(await verifyEdgeRequest(byPrevious, "GET", "/_portcullis/status", both, now + 301)).toBe(false);
    for (const garbage of [null, "", "t=1800000000", `t=${now},v1=${"0".repeat(64)}`, `${byPrevious} `.repeat(2)]) {
      expect(await verifyEdgeRequest(garbage, "GET", "/_portcullis/status", both, now)).toBe(false);
    }
  });

  it("verify an event batch from its bytes as received (UTF-8) as from its text, and refuse other bytes", async () => {
    const secrets = await parseEdgeSecrets(generateEdgeSecret());
    const now = 1_800_000_000;
    const body = JSON.stringify({ events: [{ tool: "caf\u00e9 \u{1F600}" }] });
    const signature = await signEventBody(body, secrets, now);
    const bytes = new TextEncoder().encode(body);
    expect(await verifyEventSignature(signature, body, secrets, now)).toBe(true);
    expect(await verifyEventSignature(signature, bytes, secrets, now)).toBe(true);
    const changed = bytes.slice();
    changed[changed.length - 3]! ^= 1;
    expect(await verifyEventSignature(signature, changed, secrets, now)).toBe(false);
    expect(await verifyEventSignature(signature, new TextEncoder().encode(body.normalize("NFD")), secrets, now)).toBe(false);
  });

  it("are not event batch signatures, nor the other way round (separate keys)", async () => {
    const secrets = await parseEdgeSecrets(generateEdgeSecret());
    const now = 1_800_000_000;
    const asEvents = await signEventBody("GET /_portcullis/status", secrets, now);
    expect(await verifyEventSignature(asEvents, "GET /_portcullis/status", secrets, now)).toBe(true);
    expect(await verifyEdgeRequest(asEvents, "GET", "/_portcullis/status", secrets, now)).toBe(false);
    const asRequest = await signEdgeRequest("GET", "/_portcullis/status", secrets, now);
    expect(await verifyEventSignature(asRequest, "GET /_portcullis/status", secrets, now)).toBe(false);
  });
});
