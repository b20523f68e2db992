/**
 * The EventBuffer Durable Object is sharded: N instances, never one global. Each isolate picks one
 * shard at random the first time it needs one and keeps it, so one isolate's events stay in order
 * while the company's load spreads over every shard.
 */
import type { EventBuffer } from "../event-buffer";
import type { Env } from "../env";

const DEFAULT_SHARDS = 16;
const MAX_SHARDS = 256;

/**
 * `PORTCULLIS_EVENTS_SHARDS` (default 16). Raise it, never lower it while events wait: a shard
 * beyond the new count still delivers what it holds (its alarm runs), but the status no longer
 * counts it.
 */
export function shardCount(env: Env): number {
  const n = Math.floor(Number(env.PORTCULLIS_EVENTS_SHARDS));
  return Number.isFinite(n) && n >= 1 ? Math.min(n, MAX_SHARDS) : DEFAULT_SHARDS;
}

/**
 * Shard `i`. Shard 0 keeps the name of the former single buffer ("events"), so events a portal
 * buffered before sharding are delivered and counted as before.
 */
export function eventShard(env: Env, i: number): DurableObjectStub<EventBuffer> {
  return env.EVENTS.get(env.EVENTS.idFromName(i === 0 ? "events" : `events-${i}`));
}

let chosen: number | undefined;

/** This isolate's shard. */
export function isolateShard(env: Env): DurableObjectStub<EventBuffer> {
  chosen ??= Math.floor(Math.random() * shardCount(env));
  return eventShard(env, chosen % shardCount(env));
}

/** Every shard, for the status. */
export function allShards(env: Env): DurableObjectStub<EventBuffer>[] {
  return Array.from({ length: shardCount(env) }, (_, i) => eventShard(env, i));
}
