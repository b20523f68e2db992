/** The state of event delivery, added up over every shard, for `GET /_portcullis/events`. */
import type { Env } from "../env";
import type { DeadLetter } from "../event-buffer";
import { eventPath, type EventPath } from "./enqueue";
import { allShards } from "./shards";

export interface EventDeliveryStatus {
  /** Which path producers use now: Cloudflare Queues, or the sharded durable buffer. */
  path: EventPath;
  /** Events not yet acknowledged by the console: `inQueue` + `buffered`. */
  pending: number;
  /** Sent to the queue and not yet settled by its consumer (delivered, dead-lettered, or handed to the buffer). */
  inQueue: number;
  /** Stored in the durable buffer's shards, waiting for delivery. */
  buffered: number;
  /** Events the dead-letter queue handed to the buffer (the queue gave up retrying them; they are still delivered). */
  fromDeadLetterQueue: number;
  /** Events kept with the reason no console takes them (refused one by one, or breaking the contract): never delivered. */
  deadLettered: number;
  /** Events given up on because a buffer shard was full. */
  dropped: number;
  lastDeliveredAt: string | null;
  /** Why the last attempt failed; null once a delivery succeeds again. */
  lastError: string | null;
  /** When the next retry runs, while deliveries are failing. */
  nextAttemptAt: string | null;
  shards: number;
}

const latest = (values: (string | null)[]) => values.filter((v): v is string => v !== null).sort().at(-1) ?? null;
const earliest = (values: (string | null)[]) => values.filter((v): v is string => v !== null).sort()[0] ?? null;

export async function eventDeliveryStatus(env: Env): Promise<EventDeliveryStatus> {
  const shards = await Promise.all(allShards(env).map((s) => s.stats()));
  const sum = (f: (s: (typeof shards)[number]) => number) => shards.reduce((n, s) => n + f(s), 0);
  const lastDeliveredAt = latest(shards.map((s) => s.lastDeliveredAt));
  // A shard's buffer error lasts until that shard delivers again; a queue consumer's, until any delivery after it.
  const bufferFailing = shards.filter((s) => s.bufferError !== null);
  const queueFailing = shards.filter((s) => s.queueError !== null && s.queueErrorAt !== null && (lastDeliveredAt === null || s.queueErrorAt > lastDeliveredAt));
  const newestQueueFailure = queueFailing.sort((a, b) => (a.queueErrorAt! < b.queueErrorAt! ? 1 : -1))[0];
  const inQueue = Math.max(0, sum((s) => s.sent - s.settled));
  const buffered = sum((s) => s.buffered);
  return {
    path: eventPath(env),
    pending: inQueue + buffered,
    inQueue,
    buffered,
    fromDeadLetterQueue: sum((s) => s.fromDeadLetterQueue),
    deadLettered: sum((s) => s.deadLettered),
    dropped: sum((s) => s.dropped),
    lastDeliveredAt,
    lastError: newestQueueFailure?.queueError ?? bufferFailing[0]?.bufferError ?? null,
    nextAttemptAt: earliest([...bufferFailing.map((s) => s.bufferNextAttemptAt), ...queueFailing.map((s) => s.queueNextAttemptAt)]),
    shards: shards.length,
  };
}

/** The newest dead letters over every shard (at most 20 from each, newest first). */
export async function recentDeadLetters(env: Env): Promise<DeadLetter[]> {
  const lists = await Promise.all(allShards(env).map((s) => s.deadLetters()));
  return lists.flat().sort((a, b) => (a.at < b.at ? 1 : -1));
}
