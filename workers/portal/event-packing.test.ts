/**
 * How the producer packs events into queue messages (src/events/enqueue.ts): several events per
 * message, one JSON text per line, within Cloudflare's per-message and per-sendBatch limits, and
 * unpacked to exactly the events that went in (the delivery tests run the same path through
 * Miniflare's queue end to end: event-delivery.test.ts).
 */
import { describe, expect, it } from "vitest";
import { packMessage, QUEUE_MESSAGE_BYTES, sendBatches, unpackMessage } from "./src/events/packing";
import { byteLength } from "./src/events/normalize";

const sized = (bodies: string[]) => bodies.map((body) => ({ body, bytes: byteLength(body) }));
const event = (i: number, pad = 0) => JSON.stringify({ id: `e${i}`, note: "line\nbreak ü".padEnd(pad, "x") });

describe("packing events into queue messages", () => {
  it("puts many small events in one message and gets each back unchanged, newlines in strings included", () => {
    const bodies = Array.from({ length: 300 }, (_, i) => event(i));
    const batches = [...sendBatches(sized(bodies))];
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(1);
    expect(unpackMessage(packMessage(batches[0]![0]!))).toEqual(bodies);
  });

  it("keeps every message within the message limit and every sendBatch within 100 messages and 250,000 bytes", () => {
    const bodies = Array.from({ length: 2_000 }, (_, i) => event(i, 1_000 + (i % 7) * 3_000));
    const batches = [...sendBatches(sized(bodies))];
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(100);
      const bytes = batch.reduce((n, m) => n + byteLength(packMessage(m)) + 100, 0);
      expect(bytes).toBeLessThanOrEqual(250_000);
      for (const message of batch) expect(byteLength(packMessage(message))).toBeLessThanOrEqual(QUEUE_MESSAGE_BYTES);
    }
    expect(batches.flat().flatMap((m) => unpackMessage(packMessage(m)))).toEqual(bodies);
  });

  it("gives an event as large as a message a message of its own", () => {
    const big = JSON.stringify({ id: "big", text: "y".repeat(QUEUE_MESSAGE_BYTES - 40) });
    const batches = [...sendBatches(sized([event(1), big, event(2)]))];
    expect(batches.flat()).toEqual([[event(1)], [big], [event(2)]]);
  });

  it("reads a message of one event as sent before packing", () => {
    expect(unpackMessage(event(7))).toEqual([event(7)]);
    expect(unpackMessage("")).toEqual([]);
  });
});

describe("byteLength", () => {
  it("counts UTF-8 bytes as TextEncoder encodes them, lone surrogates included", () => {
    const encoder = new TextEncoder();
    for (const text of ["", "plain", "ü", "€uro", "😀 pair", "lone \ud800 high", "lone \udc00 low", "end \ud83d", "\u07ff\u0800\uffff", "x".repeat(1_000) + "é😀"]) {
      expect(byteLength(text), JSON.stringify(text)).toBe(encoder.encode(text).byteLength);
    }
  });
});
