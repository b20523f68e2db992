import { revalidatePath } from "next/cache";
import { getDb } from "@/db/client";
import { textProblem } from "@core/text/storable";
import { describeFailure, toProblem } from "../api/problem";
import type { Ctx } from "../context";
import { currentActor } from "./session";

import type { ActionResult, FormAction } from "./action-result";

/**
 * The one session check for server actions. Wraps a verb call: no session → UNAUTHENTICATED,
 * domain and validation errors → a result the form shows, anything else → a logged generic error.
 * Authorization itself is the verb's first line.
 */
export function sessionAction<T>(
  run: (ctx: Ctx, formData: FormData) => Promise<T>,
  options: { revalidate?: string } = {},
): FormAction<T> {
  return async (_previous: ActionResult<T> | null, formData: FormData): Promise<ActionResult<T>> => {
    try {
      const actor = await currentActor();
      if (!actor) return { ok: false, error: { code: "UNAUTHENTICATED", message: "Your session has ended; sign in again" } };
      for (const [name, value] of formData) {
        const problem = typeof value === "string" ? textProblem(value) : null;
        if (problem) return { ok: false, error: { code: "INVALID_TEXT", message: `${name}: ${problem}` }, fields: { [name]: problem } };
      }
      const data = await run({ db: await getDb(), actor }, formData);
      if (options.revalidate) revalidatePath(options.revalidate);
      return { ok: true, data };
    } catch (error) {
      const { status, body } = toProblem(error);
      if (status === 500) console.error(`[action] failed: ${describeFailure(error)}`);
      return { ok: false, error: { code: body.error.code, message: body.error.message }, ...(body.error.fields ? { fields: body.error.fields } : {}) };
    }
  };
}
