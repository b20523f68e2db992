import { describe, expect, it } from "vitest";
import { readBoundedBody } from "./bounded-body";

const streamOf = (chunks: number, size: number) => {
  let sent = 0;
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      if (sent === chunks) return controller.close();
      sent++;
      controller.enqueue(new Uint8Array(size).fill(97));
    },
  });
  return { body, pulled: () => pulled };
};

describe("readBoundedBody", () => {
  it("reads a body up to the limit, exactly", async () => {
    const { body } = streamOf(4, 250);
    const read = await readBoundedBody(new Request("http://x/", { method: "POST", body, duplex: "half" } as RequestInit), 1000);
    expect(read?.byteLength).toBe(1000);
    expect(new TextDecoder().decode(read!)).toBe("a".repeat(1000));
  });

  it("refuses a declared length over the limit without reading, and a chunked body as soon as it passes it", async () => {
    const declared = new Request("http://x/", { method: "POST", body: "x".repeat(2000), headers: { "content-length": "2000" } });
    expect(await readBoundedBody(declared, 1000)).toBeNull();
    expect(declared.bodyUsed).toBe(false);
    const chunked = streamOf(1_000, 1024);
    expect(await readBoundedBody(new Request("http://x/", { method: "POST", body: chunked.body, duplex: "half" } as RequestInit), 4096)).toBeNull();
    // Stopped after the chunk that passed the limit, not after a megabyte.
    expect(chunked.pulled()).toBeLessThan(10);
  });

  it("reads a body of declared length whole when it is within the limit, and refuses one whose length is not the declared one", async () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    const exact = await readBoundedBody(new Request("http://x/", { method: "POST", body, headers: { "content-length": String(body.length) } }), 1000);
    expect(new TextDecoder().decode(exact!)).toBe(body);
    const streamed = streamOf(3, 100);
    const declared = await readBoundedBody(new Request("http://x/", { method: "POST", body: streamed.body, duplex: "half", headers: { "content-length": "300" } } as RequestInit), 1000);
    expect(declared?.byteLength).toBe(300);
    // A header that lies (only a Request built in code can: HTTP framing stops at the declared length).
    expect(await readBoundedBody(new Request("http://x/", { method: "POST", body: "x".repeat(2000), headers: { "content-length": "10" } }), 4096)).toBeNull();
    expect(await readBoundedBody(new Request("http://x/", { method: "POST", body: "x".repeat(5), headers: { "content-length": "10" } }), 4096)).toBeNull();
  });

  it("reads a chunked body that also declares a small length by its chunks, stopping at the limit", async () => {
    // workerd hands such a request on with both headers and the chunked body (workers/portal/large-input.test.ts sends one).
    const chunked = streamOf(1_000, 1024);
    const request = new Request("http://x/", { method: "POST", body: chunked.body, duplex: "half", headers: { "content-length": "10", "transfer-encoding": "chunked" } } as RequestInit);
    expect(await readBoundedBody(request, 4096)).toBeNull();
    expect(chunked.pulled()).toBeLessThan(10);
  });

  it("answers an empty body for a request without one", async () => {
    expect((await readBoundedBody(new Request("http://x/"), 10))?.byteLength).toBe(0);
  });
});
