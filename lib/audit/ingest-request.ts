import type { Queryable } from "@/db/client";
import { describeFailure, toProblem } from "@/lib/api/problem";
import { EDGE_SIGNATURE_HEADER, type EdgeSecret } from "@core/edge/secret";
import { UnauthenticatedError } from "@/lib/errors";
import { IngestError, ingestEvents } from "./ingest-events";
import { EVENT_BODY_LIMIT_BYTES } from "@core/events/schema";
import { readBoundedBody } from "@core/http/bounded-body";

const tooLarge = () => new IngestError(413, "PAYLOAD_TOO_LARGE", `Request body must be at most ${EVENT_BODY_LIMIT_BYTES} bytes`);

/**
 * `POST /api/v1/events` as a plain Request → Response function: what the Next route handler
 * serves, and what the delivery test serves from a bare Node server (the same code path minus Next).
 */
export async function ingestEventsRequest(
  request: Request,
  deps: { db: () => Promise<Queryable>; secrets: () => Promise<EdgeSecret[]>; onUsage?: (db: Queryable) => Promise<void>; onForwarded?: (db: Queryable) => void },
): Promise<Response> {
  const headers = { "cache-control": "no-store" };
  try {
    const signature = request.headers.get(EDGE_SIGNATURE_HEADER);
    // Refuse an unsigned delivery before reading (or buffering) its body.
    if (!signature) throw new UnauthenticatedError("Missing X-Portcullis-Signature: event deliveries are signed with the edge secret");
    const bytes = await readBoundedBody(request, EVENT_BODY_LIMIT_BYTES);
    if (!bytes) throw tooLarge();
    const db = await deps.db();
    const { onUsage, onForwarded } = deps;
    const result = await ingestEvents(db, {
      body: bytes,
      signature,
      secrets: await deps.secrets(),
      ...(onUsage ? { onUsage: () => onUsage(db) } : {}),
      ...(onForwarded ? { onForwarded: () => onForwarded(db) } : {}),
    });
    return Response.json(result, { status: 200, headers });
  } catch (error) {
    const { status, body } = toProblem(error, "body");
    // Log the failure, never the body: events carry emails and client addresses.
    if (status === 500) console.error(`[api] POST /events failed: ${describeFailure(error)}`);
    return Response.json(body, { status, headers });
  }
}
