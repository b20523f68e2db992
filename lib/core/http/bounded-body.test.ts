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

  it("answers an empty body for a request without one", async () => {
    expect((await readBoundedBody(new Request("http://x/"), 10))?.byteLength).toBe(0);
  });
});
