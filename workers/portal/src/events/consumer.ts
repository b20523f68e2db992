/**
 * The consumer of the events queue (the Worker's `queue()` handler): delivers each batch to the
 * console's signed, idempotent ingest, acknowledges what the console stored, retries the rest with
 * backoff, and keeps what the console refuses as dead letters. The dead-letter queue's batches
 * (events the queue gave up retrying) are handed to the durable buffer, which retries them until
 * the console is back: nothing leaves the queue unaccounted for.
 */
import type { Env } from "../env";
import { retryDelayMs } from "../backoff";
import { edgeSecrets } from "../settings";
import { batchLength, deliverEvents, ingestUrl, type OutgoingEvent } from "./deliver";
import { byteLength } from "./normalize";
import { unpackMessage } from "./packing";
import { isolateShard } from "./shards";

/** The queues as wrangler.jsonc names them. */
export const EVENTS_QUEUE_NAME = "portcullis-events";
export const EVENTS_DEAD_LETTER_QUEUE_NAME = "portcullis-events-dlq";

/** Cloudflare Queues accepts a retry delay up to 24 h; our backoff stays far below. */
const MAX_RETRY_DELAY_SECONDS = 43_200;

interface Item extends OutgoingEvent {
  message: Message<unknown>;
}

const textOf = (body: unknown): string => (typeof body === "string" ? body : JSON.stringify(body));

/** A message's events (a message packs several, one JSON text per line: src/events/enqueue.ts). */
const eventsOf = (message: Message<unknown>): string[] => unpackMessage(textOf(message.body));

export async function consumeEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  if (batch.queue === EVENTS_DEAD_LETTER_QUEUE_NAME || batch.queue.endsWith("-dlq")) return parkDeadLetters(batch, env);
  const items: Item[] = batch.messages.flatMap((message) => eventsOf(message).map((body) => ({ message, body, bytes: byteLength(body) })));
  const shard = isolateShard(env);
  const delivered: Item[] = [];
  const refused: { item: Item; reason: string }[] = [];
  let failure: string | null = null;
  try {
    const secrets = await edgeSecrets(env.PORTCULLIS_EDGE_SECRET);
    const url = ingestUrl(env);
    for (let i = 0; i < items.length && failure === null; ) {
      const chunk = items.slice(i, i + batchLength(items.slice(i)));
      const outcome = await deliverEvents(url, chunk, secrets, {
        delivered: (done) => void delivered.push(...done),
        refused: (item, reason) => void refused.push({ item, reason }),
      });
      if (!outcome.ok) failure = outcome.error;
      i += chunk.length;
    }
  } catch (error) {
    // Our own failure (no secret, no URL): the queue keeps the events and retries like any failed delivery.
    failure = error instanceof Error ? error.message : String(error);
  }

  // A message is settled once every event it packs was delivered or refused; one with an event
  // still undelivered is retried whole (the console is idempotent on event ids). Only settled
  // messages count, and their dead letters are stored before they are acknowledged: if storing
  // fails, they are retried instead.
  const open = new Set<Message<unknown>>();
  const done = new Set<Item>([...delivered, ...refused.map((r) => r.item)]);
  for (const item of items) if (!done.has(item)) open.add(item.message);
  const settledDelivered = delivered.filter((i) => !open.has(i.message));
  const settledRefused = refused.filter(({ item }) => !open.has(item.message));
  let settledStored = true;
  if (settledDelivered.length + settledRefused.length > 0) try {
    await shard.settle(settledDelivered.length, settledRefused.map(({ item, reason }) => ({ body: item.body, reason })));
  } catch (error) {
    settledStored = false;
    console.error(`[events] could not record a settled batch: ${error instanceof Error ? error.message : String(error)}`);
  }
  const unsettled: Message<unknown>[] = [];
  for (const message of batch.messages) {
    if (!open.has(message) && settledStored) message.ack();
    else unsettled.push(message);
  }
  if (unsettled.length === 0) return;
  let latest = 0;
  for (const message of unsettled) {
    const delaySeconds = Math.min(Math.round(retryDelayMs(message.attempts, env.PORTCULLIS_EVENTS_MAX_BACKOFF_MS) / 1_000), MAX_RETRY_DELAY_SECONDS);
    latest = Math.max(latest, delaySeconds);
    message.retry({ delaySeconds });
  }
  const attempts = Math.max(...unsettled.map((m) => m.attempts));
  const error = failure ?? "could not record the dead letters";
  const events = items.filter((i) => unsettled.includes(i.message)).length;
  if (attempts === 1 || attempts % 10 === 0) console.warn(`[events] queue delivery failed (attempt ${attempts}, ${events} event(s) in ${unsettled.length} message(s), retry in ${latest} s): ${error}`);
  await shard.queueFailure(error, new Date(Date.now() + latest * 1_000).toISOString()).catch(() => undefined);
}

/**
 * The dead-letter queue: events the queue retried `max_retries` times without reaching the console.
 * They go to the durable buffer (the same shards the fallback path uses), which keeps retrying with
 * backoff; acknowledged only once stored.
 */
async function parkDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  try {
    await isolateShard(env).park(batch.messages.flatMap(eventsOf));
    batch.ackAll();
  } catch (error) {
    console.error(`[events] could not store the ${batch.messages.length} message(s) of the dead-letter queue, retrying: ${error instanceof Error ? error.message : String(error)}`);
    batch.retryAll({ delaySeconds: 5 });
  }
}
