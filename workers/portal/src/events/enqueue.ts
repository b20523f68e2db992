/**
 * The one way the portal sends an audit or usage event: `enqueueEvents(env, waitUntil, events)`.
 * Nothing of it runs on the response path: the events are validated here, and sent in
 * `waitUntil` — through Cloudflare Queues when the Worker has the `EVENTS_QUEUE` binding, else
 * into the sharded durable buffer (src/event-buffer.ts). Either way at-least-once, never a single
 * global object.
 */
import type { AnyEvent } from "@core/events/schema";
import type { Env } from "../env";
import { byteLength, normalizeEvent } from "./normalize";
import { packMessage, QUEUE_MESSAGE_BYTES, sendBatches } from "./packing";
import { isolateShard } from "./shards";

export type EventPath = "queue" | "buffer";

/** The queue when the Worker has the binding, unless `PORTCULLIS_EVENTS=buffer` asks for the durable buffer. */
export function eventPath(env: Env): EventPath {
  return env.EVENTS_QUEUE && env.PORTCULLIS_EVENTS !== "buffer" ? "queue" : "buffer";
}

/**
 * Sends events to the console, off the response path: validates and normalizes each now (as the
 * console will check it), hands the sending to `waitUntil`, and returns the same promise (it never
 * rejects; failures are logged): it settles when this request's part is done — its batch sent by
 * this request, or taken by another's. An event that breaks the contract is kept as a dead letter
 * with the reason, never sent; the rest go on.
 */
export function enqueueEvents(env: Env, waitUntil: (promise: Promise<unknown>) => void, events: AnyEvent[]): Promise<void> {
  let batch = pending;
  if (!batch || batch.taken) batch = pending = { env, bodies: [], broken: [], ids: [], openedAt: Date.now(), taken: false };
  for (const event of events) {
    try {
      batch.bodies.push(JSON.stringify(normalizeEvent(event)));
    } catch (error) {
      batch.broken.push({ body: safeJson(event), reason: error instanceof Error ? error.message : String(error) });
    }
    batch.ids.push(String(event.id));
  }
  // The first event of a batch opens it; whatever this isolate emits in the next few milliseconds
  // joins it and goes out in one send (one queue batch, or one buffer transaction). Every request
  // that adds to it waits for the window's end on a timer of its own, in its own `waitUntil`: the
  // first timer to fire takes the batch and sends it, the others find it taken. No request waits on
  // another's promise or timer — workerd ties both to the request that made them, and a batch held
  // by a request that went away would hold every later event of the isolate with it.
  const wait = batch.bodies.length + batch.broken.length >= BATCH_MAX_EVENTS ? 0 : Math.max(0, batch.openedAt + BATCH_WINDOW_MS - Date.now());
  const own = batch;
  const done = new Promise<void>((resolve) => setTimeout(resolve, wait)).then(() => take(own));
  waitUntil(done);
  return done;
}

/**
 * Events emitted in this window by one isolate are sent together: at load, one queue `sendBatch`
 * (and one count on the shard) or one buffer transaction for many calls instead of one each. Held
 * in memory that long, after the caller's answer, under the `waitUntil` of every request in the
 * batch. 100 ms halved the sending's CPU per call against 20 ms at 32 concurrent callers
 * (bench/portal/profile.mjs), but it widens what a hard stop of the process (not a deploy, whose
 * `waitUntil` work completes) loses, and the restart test of event-delivery.test.ts met that window
 * in CI: 20 ms until the in-memory batch is made durable or observable.
 */
const BATCH_WINDOW_MS = 20;
const BATCH_MAX_EVENTS = 200;

interface Batch {
  env: Env;
  bodies: string[];
  broken: { body: string; reason: string }[];
  ids: string[];
  openedAt: number;
  /** A request's timer took it to send: later events open a new batch. */
  taken: boolean;
}

let pending: Batch | undefined;

/** Sends the batch, once: from the context of the first request whose timer fires. */
async function take(batch: Batch): Promise<void> {
  if (batch.taken) return;
  batch.taken = true;
  if (pending === batch) pending = undefined;
  try {
    await send(batch.env, batch.bodies, batch.broken);
  } catch (error) {
    console.error(`[events] could not send event(s) ${batch.ids.join(", ").slice(0, 400)}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function send(env: Env, bodies: string[], broken: { body: string; reason: string }[]): Promise<void> {
  const shard = isolateShard(env);
  const work: Promise<void>[] = [];
  if (broken.length > 0) work.push(shard.deadLetter(broken));
  const queue = eventPath(env) === "queue" ? env.EVENTS_QUEUE : undefined;
  if (!queue) {
    if (bodies.length > 0) work.push(shard.store(bodies));
  } else {
    const sized = bodies.map((body) => ({ body, bytes: byteLength(body) }));
    const oversized = sized.filter((b) => b.bytes > QUEUE_MESSAGE_BYTES).map((b) => b.body);
    if (oversized.length > 0) work.push(shard.store(oversized));
    for (const messages of sendBatches(sized.filter((b) => b.bytes <= QUEUE_MESSAGE_BYTES))) work.push(sendToQueue(env, queue, messages));
  }
  await Promise.all(work);
}

/**
 * One `sendBatch`, counted on this isolate's shard (in events) so the status knows what is in the
 * queue. A send the queue refuses (over its throughput, backlog full, a binding error) is taken back
 * from the count and stored in the durable buffer instead: nothing is lost for want of a queue.
 */
async function sendToQueue(env: Env, queue: Queue<string>, messages: string[][]): Promise<void> {
  const shard = isolateShard(env);
  const events = messages.reduce((n, m) => n + m.length, 0);
  const counted = shard.countSent(events);
  try {
    await queue.sendBatch(messages.map((m) => ({ body: packMessage(m), contentType: "text" as const })));
  } catch (error) {
    console.warn(`[events] the queue refused ${events} event(s), storing them in the buffer: ${error instanceof Error ? error.message : String(error)}`);
    await counted.catch(() => undefined);
    await Promise.all([shard.countSent(-events), shard.store(messages.flat())]);
    return;
  }
  await counted;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
