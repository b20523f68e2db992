import { z } from "zod";
import { endpoint, NoQuery } from "@/lib/api/endpoint";
import { EventBatch } from "@core/events/schema";
import { ListEventsOutput, ListEventsQuery } from "./schemas";

/** The public API contracts of this domain (routes under app/api/v1; the OpenAPI document is built from them). */

export const ingestEventsEndpoint = endpoint({
  method: "POST", path: "/events", operationId: "ingestEvents", tag: "Audit", permission: null, auth: "edge-signature", status: 200,
  summary: "Portal Worker only: deliver a batch of MCP events (at most 500), idempotent on each event's id",
  description: "Signed with the edge secret over the raw body (X-Portcullis-Signature); API tokens are ignored. The batch is stored whole or not at all; an id already stored counts as a duplicate, so redelivering a batch is harmless.",
  query: NoQuery, body: EventBatch,
  response: z.object({ accepted: z.number().int().describe("Events stored now"), duplicates: z.number().int().describe("Events whose id was already stored") }),
  errors: { 413: "Body over 2,000,000 bytes (code PAYLOAD_TOO_LARGE)" },
});

export const listAuditEventsEndpoint = endpoint({
  method: "GET", path: "/audit", operationId: "listAuditEvents", tag: "Audit", permission: "usage.read", status: 200,
  summary: "MCP calls seen by the portal, newest first, with filters and cursor pagination",
  description: "Security and admins (audit.read) see every call; anyone else sees their own calls and those of the teams they lead (team role lead), whatever the filters ask (`scope` says which).",
  query: ListEventsQuery, response: ListEventsOutput,
});
