import { getDb } from "@/db/client";
import { describeFailure, toProblem } from "../api/problem";
import { UnauthenticatedError } from "../errors";
import type { Ctx } from "../context";
import { currentActor } from "./session";

/**
 * The one session check for route handlers that browsers reach by redirect (OAuth callbacks):
 * no session → 401, a refused permission → 403, other outcomes are the handler's response.
 */
export function sessionRoute(handler: (ctx: Ctx, request: Request) => Promise<Response>) {
  return async function handle(request: Request): Promise<Response> {
    try {
      const actor = await currentActor();
      if (!actor) throw new UnauthenticatedError("Sign in to the console first");
      return await handler({ db: await getDb(), actor }, request);
    } catch (error) {
      const { status, body } = toProblem(error);
      // Only our own failures are logged, as apiRoute does: a refused or invalid request (an empty
      // upload) is answered with its reason and is no stack trace in the server's log.
      if (status === 500) console.error(`[route] failed: ${describeFailure(error)}`);
      return Response.json(body, { status, headers: { "cache-control": "no-store" } });
    }
  };
}
