import type { z } from "zod";
import { getDb } from "@/db/client";
import type { Actor } from "../auth/actor";
import { authorize } from "../auth/actor";
import { authenticateBearer } from "../tokens/authenticate-token";
import { DomainError, UnauthenticatedError } from "../errors";
import type { Ctx } from "../context";
import { DEFAULT_MAX_BODY_BYTES, type Endpoint } from "./endpoint";
import { readBoundedBody } from "@core/http/bounded-body";
import { unstorableText } from "@core/text/storable";
import { describeFailure, toProblem } from "./problem";


type RouteContext = { params: Promise<Record<string, string | string[] | undefined>> };

class RequestError extends DomainError {
  constructor(
    override readonly status: number,
    override readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const type = request.headers.get("content-type");
  if (type && !/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
    throw new RequestError(415, "UNSUPPORTED_MEDIA_TYPE", `Send the body as application/json (got ${type.split(";")[0]})`);
  }
  // Counted in bytes, not characters; a chunked upload is refused as soon as it passes the limit.
  const bytes = await readBoundedBody(request, maxBytes);
  if (!bytes) throw new RequestError(413, "PAYLOAD_TOO_LARGE", `Request body must be at most ${maxBytes.toLocaleString("en")} bytes`);
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === "") throw new RequestError(400, "INVALID_JSON", "Request body is empty; send a JSON object");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new RequestError(400, "INVALID_JSON", `Request body is not valid JSON: ${(error as Error).message}`);
  }
  refuseUnstorable(parsed, "body");
  return parsed;
}

/** NUL, invalid Unicode and absurd nesting are refused here, once, with the field they are in. */
function refuseUnstorable(value: unknown, where: string): void {
  const problem = unstorableText(value);
  if (problem) throw new RequestError(400, "INVALID_TEXT", `${problem.path ? `${where}.${problem.path}` : where}: ${problem.reason}`);
}

function parseWith<T extends z.ZodType>(schema: T | undefined, value: unknown, where: string): z.output<T> | undefined {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (!result.success) {
    const problem = toProblem(result.error, where);
    throw Object.assign(new RequestError(400, "VALIDATION_ERROR", problem.body.error.message), { fieldErrors: problem.body.error.fields ?? {} });
  }
  return result.data;
}

export interface HandlerArgs<P extends z.ZodType, Q extends z.ZodType> {
  ctx: Ctx;
  params: z.output<P>;
  query: z.output<Q>;
  /** Raw JSON; the verb parses it with the endpoint's body schema. */
  body: unknown;
  request: Request;
}

export function jsonError(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

/**
 * The one wrapper every /api/v1 route handler goes through: Bearer authentication, the endpoint's
 * permission, zod validation of params, query and body, error mapping, and response validation.
 */
export function apiRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
  spec: Endpoint<P, Q, B, R>,
  handler: (args: HandlerArgs<P, Q>) => Promise<z.input<R> | void | Response>,
) {
  return async function handle(request: Request, context: RouteContext): Promise<Response> {
    let actor: Actor | undefined;
    try {
      const db = await getDb();
      actor = await authenticateBearer(db, request.headers.get("authorization"));
      if (spec.permission) authorize(actor, spec.permission);
      const rawParams = await context.params;
      refuseUnstorable(rawParams, "path");
      const params = parseWith(spec.params, rawParams, "path");
      const url = new URL(request.url);
      const rawQuery = Object.fromEntries(url.searchParams);
      refuseUnstorable(rawQuery, "query");
      const query = parseWith(spec.query, rawQuery, "query");
      // The verb validates the body with the same schema (it is also called from server actions);
      // its ZodError becomes the same 400 VALIDATION_ERROR below.
      const body: unknown = spec.body && !spec.streamBody ? await readJsonBody(request, spec.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES) : undefined;
      const result = await handler({ ctx: { db, actor }, params, query, body, request } as HandlerArgs<P, Q>);
      // A streamed answer (spec.streamResponse) is already a Response: errors before it are mapped below.
      if (result instanceof Response) return result;
      if (spec.status === 204) return new Response(null, { status: 204, headers: { "cache-control": "no-store" } });
      let output: unknown = result;
      if (spec.response) {
        // A response that breaks its own contract is our bug, not the caller's: a logged 500, not a 400.
        const checked = spec.response.safeParse(result);
        if (!checked.success) throw new Error(`response of ${spec.method} ${spec.path} breaks its contract: ${checked.error.message}`);
        output = checked.data;
      }
      return Response.json(output, { status: spec.status, headers: { "cache-control": "no-store" } });
    } catch (error) {
      const { status, body } = toProblem(error, "body");
      if (status === 500) {
        // Log the failure, never the request: headers and bodies may carry secrets.
        console.error(`[api] ${spec.method} ${spec.path} failed: ${describeFailure(error)}`);
      }
      const headers: Record<string, string> = { "cache-control": "no-store" };
      if (error instanceof UnauthenticatedError) headers["www-authenticate"] = 'Bearer realm="portcullis"';
      return Response.json(body, { status, headers });
    }
  };
}
