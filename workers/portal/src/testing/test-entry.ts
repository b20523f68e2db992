/**
 * TEST ONLY: the Worker as deployed, plus hooks for the workerd tests, on when the var
 * PORTCULLIS_TEST_HOOKS is "1". Never deployed: wrangler.jsonc's main is src/index.ts, and nothing
 * there imports this file.
 *
 * - `POST /_portcullis/test/enqueue` with `{ "events": [PortalEvent, …] }` sends events exactly as
 *   the MCP endpoint does (src/events/enqueue.ts: the queue, or the sharded buffer), answering once
 *   they are in the queue or stored; 400 (after sending the rest) when one breaks the event
 *   contract, which is kept as a dead letter (event-delivery.test.ts). `GET
 *   /_portcullis/events` is served here too, so those tests do not depend on the Worker's routing.
 * - `POST /_portcullis/test/counters/{admit|settle|record|snapshot}`: the JSON body is the Counters
 *   RPC method's input (none for snapshot), the answer its result; a ledger error → 400 (counters.test.ts).
 * - `POST /_portcullis/test/decide` with `{ rules, who, request }`: the policy evaluator's decision,
 *   computed inside workerd (policy.test.ts runs testing/policy-cases.ts through it).
 */
import worker from "../index";
import type { Env } from "../env";
import { counters } from "../counters";
import { enqueueEvents } from "../events/enqueue";
import { normalizeEvent } from "../events/normalize";
import { eventsStatus } from "../routes/events-status";
import type { PortalEvent } from "@core/events/schema";
import type { AdmitInput, RecordInput, SettleInput } from "@core/limits/ledger";
import { compilePolicy, decide, type PolicyPrincipal, type PolicyRequest, type PolicyRuleSpec } from "@core/policy/evaluate";

export * from "../index";
export { EventBuffer } from "../event-buffer";
export { Counters } from "../counters";

const failure = (error: unknown) => Response.json({ error: error instanceof Error ? error.message : String(error) }, { status: 400 });

async function countersHook(request: Request, env: Env, op: string): Promise<Response> {
  const stub = counters(env);
  try {
    if (op === "snapshot") return Response.json(await stub.snapshot());
    const input: unknown = await request.json();
    if (op === "admit") return Response.json(await stub.admit(input as AdmitInput));
    if (op === "settle") return Response.json(await stub.settle(input as SettleInput));
    if (op === "record") return Response.json(await stub.record(input as RecordInput));
  } catch (error) {
    return failure(error);
  }
  return Response.json({ error: `unknown counters operation ${op}` }, { status: 404 });
}

async function decideHook(request: Request): Promise<Response> {
  const { rules, who, request: facts } = (await request.json()) as { rules: PolicyRuleSpec[]; who: PolicyPrincipal; request: Omit<PolicyRequest, "at"> & { at?: string } };
  try {
    return Response.json(decide(compilePolicy(rules), who, { ...facts, at: facts.at ? new Date(facts.at) : undefined }));
  } catch (error) {
    return failure(error);
  }
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (env.PORTCULLIS_TEST_HOOKS === "1") {
      if (url.pathname === "/_portcullis/test/enqueue" && request.method === "POST") {
        const { events } = (await request.json()) as { events: PortalEvent[] };
        let broken: unknown;
        for (const event of events) {
          try {
            normalizeEvent(event);
          } catch (error) {
            broken ??= error;
          }
        }
        // Sent either way, as the MCP endpoint would: the valid ones go out, a broken one becomes a dead letter.
        await enqueueEvents(env, (p) => ctx.waitUntil(p), events);
        if (broken !== undefined) return failure(broken);
        return Response.json({ enqueued: events.length });
      }
      if (url.pathname === "/_portcullis/events" && request.method === "GET") return eventsStatus(request, env);
      const countersOp = /^\/_portcullis\/test\/counters\/([a-z]+)$/.exec(url.pathname)?.[1];
      if (countersOp !== undefined && request.method === "POST") return countersHook(request, env, countersOp);
      if (url.pathname === "/_portcullis/test/decide" && request.method === "POST") return decideHook(request);
    }
    return worker.fetch(request, env, ctx);
  },
  queue: worker.queue,
} satisfies ExportedHandler<Env>;
