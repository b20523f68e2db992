import { eventBuffer } from "../event-buffer";
import type { Env } from "../env";

/** `GET /_portcullis/events`: the outgoing event buffer's state (pending count, last delivery, last error, next retry). */
export async function eventsStatus(env: Env): Promise<Response> {
  return Response.json(await eventBuffer(env).stats(), { headers: { "cache-control": "no-store" } });
}
