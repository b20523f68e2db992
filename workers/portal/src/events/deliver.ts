/**
 * Signed delivery of events to the console's ingest (`POST /api/v1/events`, idempotent on event
 * ids), shared by the queue consumer and the durable buffer: one body per batch, signed with the
 * edge secret, at most half the console's body limit, bisected when the console refuses content.
 */
import { EDGE_SIGNATURE_HEADER, signEventBody, type EdgeSecret } from "@core/edge/secret";
import { EVENT_BATCH_LIMIT, EVENT_BODY_LIMIT_BYTES } from "@core/events/schema";
import type { Env } from "../env";

/** A delivery body stays at half the console's limit (2,000,000 bytes), so a batch is never refused for its size. */
export const BATCH_BODY_BYTES = EVENT_BODY_LIMIT_BYTES / 2;
const DELIVERY_TIMEOUT_MS = 30_000;

/** One event as it travels: its JSON text (already normalized) and that text's UTF-8 size. */
export interface OutgoingEvent {
  body: string;
  bytes: number;
}

export type DeliveryOutcome = { ok: true } | { ok: false; error: string };

export interface DeliveryHandlers<T extends OutgoingEvent> {
  /** The console stored these (2xx). Called once per accepted request, in order. */
  delivered(items: T[]): void | Promise<void>;
  /** The console refused this one event on its own (400, 413, 422): it will never be accepted as it is. */
  refused(item: T, reason: string): void | Promise<void>;
}

/** The console's ingest URL; throws when `PORTCULLIS_CONSOLE_URL` is not an http(s) origin. */
export function ingestUrl(env: Env): string {
  const url = `${(env.PORTCULLIS_CONSOLE_URL ?? "").replace(/\/+$/, "")}/api/v1/events`;
  if (!/^https?:\/\//.test(url)) throw new Error("PORTCULLIS_CONSOLE_URL is not set to an http(s) URL");
  return url;
}

/** How many of `items`, from the first, make one request: at most 500 events and BATCH_BODY_BYTES of JSON (always at least one). */
export function batchLength(items: OutgoingEvent[]): number {
  let size = 16;
  let count = 0;
  for (const item of items.slice(0, EVENT_BATCH_LIMIT)) {
    size += item.bytes + 1;
    if (count > 0 && size > BATCH_BODY_BYTES) break;
    count++;
  }
  return count;
}

/**
 * Delivers `items` in one request, and tells `on` what became of each. Failures (unreachable, 5xx,
 * 401 during a secret rotation, 408, 429, any redirect or other status) stop here and are the
 * caller's to retry. A 400, 413 or 422 says the content itself is unacceptable: the batch is
 * bisected until the offending events are isolated, each reported to `on.refused`, so one bad
 * event never blocks the rest. (Other 4xx, such as 404, usually mean a misconfigured console URL;
 * giving up on them would lose everything, so they are failures.)
 */
export async function deliverEvents<T extends OutgoingEvent>(url: string, items: T[], secrets: EdgeSecret[], on: DeliveryHandlers<T>): Promise<DeliveryOutcome> {
  const body = `{"events":[${items.map((i) => i.body).join(",")}]}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", [EDGE_SIGNATURE_HEADER]: await signEventBody(body, secrets) },
      // A redirect would re-send the batch somewhere else (or turn the POST into a GET): configure the final URL instead.
      redirect: "manual",
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
  } catch (error) {
    return { ok: false, error: `console unreachable at ${url}: ${error instanceof Error ? error.message : String(error)}` };
  }
  const answer = (await res.text().catch(() => "")).slice(0, 300);
  if (res.ok) {
    await on.delivered(items);
    return { ok: true };
  }
  if (res.status === 400 || res.status === 413 || res.status === 422) {
    if (items.length === 1) {
      await on.refused(items[0]!, `the console refused it (${res.status}): ${answer}`);
      return { ok: true };
    }
    const middle = Math.ceil(items.length / 2);
    for (const half of [items.slice(0, middle), items.slice(middle)]) {
      const outcome = await deliverEvents(url, half, secrets, on);
      if (!outcome.ok) return outcome;
    }
    return { ok: true };
  }
  const where = res.status >= 300 && res.status < 400 ? ` (redirect to ${res.headers.get("location") ?? "?"}; set PORTCULLIS_CONSOLE_URL to the final URL)` : "";
  return { ok: false, error: `console answered ${res.status}${where}: ${answer}` };
}
