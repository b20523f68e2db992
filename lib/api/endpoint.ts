import { z } from "zod";
import { Uuid } from "@core/zod/helpers";
import type { Permission } from "@core/auth/roles";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/**
 * One public API endpoint's contract. The same zod schemas validate requests at run time and
 * generate the OpenAPI document, so the two cannot drift apart.
 */
export interface Endpoint<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> {
  method: HttpMethod;
  /** OpenAPI-style path below /api/v1, e.g. `/tokens/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** What the caller needs; null for endpoints that anyone authenticated may call. */
  permission: Permission | null;
  /**
   * How the caller authenticates: an API token (default); for the portal's event deliveries an HMAC
   * signature with the edge secret (`X-Portcullis-Signature`); for Cloudflare Logpush batches a Logpush
   * job's secret (`X-Portcullis-Logpush-Secret`). With either of the last two, API tokens count for nothing.
   */
  auth?: "bearer" | "edge-signature" | "logpush-secret";
  /** Extra error statuses worth documenting, e.g. `{ 413: "Body over 2,000,000 bytes" }`. */
  errors?: Record<number, string>;
  params?: P;
  query?: Q;
  body?: B;
  /** A streamed, non-JSON body (the traffic ingest's NDJSON): the handler reads `request.body` itself. */
  streamBody?: "application/x-ndjson";
  /** The largest JSON body accepted, in bytes (default {@link DEFAULT_MAX_BODY_BYTES}); larger ones are 413. */
  maxBodyBytes?: number;
  response?: R;
  /** A streamed, non-JSON answer (the Audit export): its media types; the handler returns the Response itself. */
  streamResponse?: readonly string[];
  status: 200 | 201 | 204;
}

/** Request bodies of this API are small JSON documents; anything larger is refused before parsing. */
export const DEFAULT_MAX_BODY_BYTES = 1_000_000;

export function endpoint<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
  spec: Endpoint<P, Q, B, R>,
): Endpoint<P, Q, B, R> {
  return spec;
}

/** Path and query shapes most endpoints share. */
export const IdParams = z.object({ id: Uuid });
export const MemberParams = z.object({ id: Uuid, userId: Uuid });
export const NoQuery = z.object({}).strict();
