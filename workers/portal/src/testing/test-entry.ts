/**
 * TEST ONLY: the Worker as deployed, plus one hook for workers/portal/event-delivery.test.ts, on when
 * the var PORTCULLIS_TEST_HOOKS is "1". Never deployed: wrangler.jsonc's main is src/index.ts, and
 * nothing there imports this file.
 *
 * `POST /_portcullis/test/enqueue` with `{ "events": [PortalEvent, …] }` puts events in the outgoing
 * buffer exactly as the MCP endpoint does. `GET /_portcullis/events` is served here too (as in
 * src/index.ts), so these tests do not depend on the rest of the Worker's routing.
 */
import worker from "../index";
import type { Env } from "../env";
import { eventBuffer } from "../event-buffer";
import { eventsStatus } from "../routes/events-status";
import type { PortalEvent } from "../../../../lib/events/schema";

export * from "../index";
export { EventBuffer } from "../event-buffer";

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (env.PORTCULLIS_TEST_HOOKS === "1" && url.pathname === "/_portcullis/test/enqueue" && request.method === "POST") {
      const { events } = (await request.json()) as { events: PortalEvent[] };
      try {
        await eventBuffer(env).enqueue(events);
      } catch (error) {
        return Response.json({ error: error instanceof Error ? error.message : String(error) }, { status: 400 });
      }
      return Response.json({ enqueued: events.length });
    }
    if (env.PORTCULLIS_TEST_HOOKS === "1" && url.pathname === "/_portcullis/events" && request.method === "GET") return eventsStatus(env);
    return worker.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
