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
 * - `POST /_portcullis/test/counters/{admit|settle|record|snapshot}`: the JSON body is the ledger
 *   operation's input, run across the counter shards as the Worker runs it (src/counter-shards.ts),
 *   the answer its result; a ledger error → 400 (counters.test.ts). `settle` finds the shards of a
 *   reservation this hook admitted (or takes `counterKeys`); `snapshot` covers `counterKeys`, or
 *   every shard this isolate has addressed.
 * - Every request runs with `COUNTERS` traced (counter-shards.test.ts): each shard call's counter
 *   key, Durable Object id, method and start/end times. `POST …/counters/trace` answers the calls
 *   since the last reset and the most calls ever in flight at once; `…/counters/reset` with
 *   `{ "delayMs": n }` clears them and delays every later shard call by n ms (a slow shard);
 *   `…/counters/shard` with `{ "counterKey" }` answers that shard's id and stored rows, untouched.
 * - `POST /_portcullis/test/decide` with `{ rules, who, request }`: the policy evaluator's decision,
 *   computed inside workerd (policy.test.ts runs testing/policy-cases.ts through it).
 */
import worker from "../index";
import type { Env } from "../env";
import { counterShard, type CounterShard } from "../counters";
import { admitShards, recordShards, settleShards, snapshotShards } from "../counter-shards";
import { enqueueEvents } from "../events/enqueue";
import { normalizeEvent } from "../events/normalize";
import { eventsStatus } from "../routes/events-status";
import type { PortalEvent } from "@core/events/schema";
import type { AdmitInput, RecordInput, SettleInput } from "@core/limits/ledger";
import { compilePolicy, decide, type PolicyPrincipal, type PolicyRequest, type PolicyRuleSpec } from "@core/policy/evaluate";

export * from "../index";
export { EventBuffer } from "../event-buffer";
export { CounterShard } from "../counters";
export { Approvals } from "../codemode/approvals";

const failure = (error: unknown) => Response.json({ error: error instanceof Error ? error.message : String(error) }, { status: 400 });

interface ShardCall {
  counterKey: string;
  id: string;
  method: string;
  start: number;
  end: number | null;
}

/** What this isolate's shard calls did (module state: one isolate serves the tests' requests). */
const shardTrace = { calls: [] as ShardCall[], inFlight: 0, maxInFlight: 0, delayMs: 0, addressed: new Set<string>(), reservations: new Map<string, string[]>() };
const SHARD_METHODS = new Set(["admit", "settle", "record", "cancel", "snapshot", "inspect"]);

/** `COUNTERS` with every shard call traced (and delayed when a test asks). */
function tracedCounters(namespace: Env["COUNTERS"]): Env["COUNTERS"] {
  const keys = new Map<string, string>();
  return new Proxy(namespace, {
    get(target, prop) {
      if (prop === "idFromName") {
        return (name: string) => {
          const id = target.idFromName(name);
          keys.set(id.toString(), name);
          shardTrace.addressed.add(name);
          return id;
        };
      }
      if (prop === "get") {
        return (id: DurableObjectId) => {
          const stub = target.get(id);
          return new Proxy(stub, {
            get(stubTarget, method) {
              const real: unknown = Reflect.get(stubTarget, method, stubTarget);
              if (typeof method !== "string" || !SHARD_METHODS.has(method) || typeof real !== "function") return real;
              return async (...args: unknown[]) => {
                const call: ShardCall = { counterKey: keys.get(id.toString()) ?? "?", id: id.toString(), method, start: Date.now(), end: null };
                shardTrace.calls.push(call);
                shardTrace.maxInFlight = Math.max(shardTrace.maxInFlight, ++shardTrace.inFlight);
                try {
                  if (shardTrace.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, shardTrace.delayMs));
                  // Called on the stub (not `real.apply`: an RPC stub's property is itself remote).
                  return (await (stubTarget as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!(...args)) as unknown;
                } finally {
                  shardTrace.inFlight--;
                  call.end = Date.now();
                }
              };
            },
          });
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function countersHook(request: Request, env: Env, op: string): Promise<Response> {
  try {
    const body = (await request.json().catch(() => ({}))) as Record<string, unknown>;
    if (op === "trace") return Response.json({ calls: shardTrace.calls, maxInFlight: shardTrace.maxInFlight });
    if (op === "reset") {
      shardTrace.calls = [];
      shardTrace.maxInFlight = shardTrace.inFlight;
      shardTrace.delayMs = typeof body.delayMs === "number" ? body.delayMs : 0;
      return Response.json({ reset: true });
    }
    if (op === "shard") {
      const key = String(body.counterKey);
      const stub: DurableObjectStub<CounterShard> = counterShard(env, key);
      return Response.json({ id: env.COUNTERS.idFromName(key).toString(), ...(await stub.inspect()) });
    }
    if (op === "snapshot") return Response.json(await snapshotShards(env, Array.isArray(body.counterKeys) ? (body.counterKeys as string[]) : [...shardTrace.addressed]));
    if (op === "admit") {
      const input = body as unknown as AdmitInput;
      const result = await admitShards(env, input);
      if (result.admitted && result.reservationId) shardTrace.reservations.set(result.reservationId, input.budgets.map((b) => b.counterKey));
      return Response.json(result);
    }
    if (op === "settle") {
      const input = body as unknown as SettleInput & { counterKeys?: string[] };
      const keys = input.counterKeys ?? shardTrace.reservations.get(input.reservationId) ?? [];
      return Response.json(await settleShards(env, keys.map((counterKey) => ({ counterKey })), { reservationId: input.reservationId, actual: input.actual }));
    }
    if (op === "record") return Response.json(await recordShards(env, body as unknown as RecordInput));
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
  async fetch(request: Request, plainEnv: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    const env = plainEnv.PORTCULLIS_TEST_HOOKS === "1" ? { ...plainEnv, COUNTERS: tracedCounters(plainEnv.COUNTERS) } : plainEnv;
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
