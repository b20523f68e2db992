/** How events travel in queue messages: pure, so it is tested on its own (event-packing.test.ts). */

/**
 * Cloudflare Queues: a message is at most 128 KB (1 KB = 1,000 bytes, ~100 bytes of it metadata);
 * a `sendBatch` at most 100 messages and 256 KB (developers.cloudflare.com/queues/platform/limits/).
 * An event larger than a message (an LLM event with long multi-byte logs can be) goes to the buffer.
 */
export const QUEUE_MESSAGE_BYTES = 127_000;
const SEND_BATCH_MESSAGES = 100;
const SEND_BATCH_BYTES = 250_000;

/**
 * A queue message carries several events, one JSON text per line (JSON text never holds a raw
 * newline: `JSON.stringify` escapes it): Cloudflare meters and limits queues per message (5,000
 * messages/s per queue, billing per 64 KB), so packing raises the events a queue carries by the
 * events per message (~60–100 MCP events), and Miniflare's local broker does a fraction of the work.
 * A message of one event is that event's JSON, as messages were before packing.
 */
export const packMessage = (bodies: string[]): string => bodies.join("\n");
export const unpackMessage = (text: string): string[] => text.split("\n").filter((line) => line.length > 0);

/**
 * Packs event bodies (each at most QUEUE_MESSAGE_BYTES) into messages of at most
 * QUEUE_MESSAGE_BYTES, and the messages into `sendBatch` calls of at most 100 messages and
 * 250,000 bytes (with ~100 bytes of metadata per message).
 */
export function* sendBatches(bodies: { body: string; bytes: number }[]): Generator<string[][]> {
  const messages: { bodies: string[]; bytes: number }[] = [];
  for (const { body, bytes } of bodies) {
    const last = messages.at(-1);
    if (last && last.bytes + 1 + bytes <= QUEUE_MESSAGE_BYTES) {
      last.bodies.push(body);
      last.bytes += 1 + bytes;
    } else messages.push({ bodies: [body], bytes });
  }
  let batch: string[][] = [];
  let batchBytes = 0;
  for (const message of messages) {
    const size = message.bytes + 100;
    if (batch.length > 0 && (batch.length >= SEND_BATCH_MESSAGES || batchBytes + size > SEND_BATCH_BYTES)) {
      yield batch;
      batch = [];
      batchBytes = 0;
    }
    batch.push(message.bodies);
    batchBytes += size;
  }
  if (batch.length > 0) yield batch;
}
