import { z } from "zod";
import { endpoint, IdParams, NoQuery } from "@/lib/api/endpoint";
import { EventBatch } from "@core/events/schema";
import { ListEventsOutput, ListEventsQuery } from "./schemas";
import { ExportEventsQuery } from "./export-events";
import { SavedViewList, SavedViewOutput, SaveViewInput } from "./saved-views";

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

export const exportAuditEventsEndpoint = endpoint({
  method: "GET", path: "/events/export", operationId: "exportAuditEvents", tag: "Audit", permission: "usage.read", status: 200,
  summary: "A filtered view of the MCP calls as a streamed CSV or NDJSON download, newest first",
  description:
    "The same filters as GET /audit. Streamed in keyset batches of 1,000, so any size exports in flat memory. The range is bounded: `to` defaults to now, `from` to the event retention period before it. CSV cells starting with = + - @ get a leading ' (formula injection guard). Profile `cloudflare` names the fields as Cloudflare's mcp_portal_logs Logpush dataset does.",
  query: ExportEventsQuery, streamResponse: ["text/csv", "application/x-ndjson"],
});

export const listSavedViewsEndpoint = endpoint({
  method: "GET", path: "/saved-views", operationId: "listSavedViews", tag: "Audit", permission: "usage.read", status: 200,
  summary: "The caller's own saved Audit views, by name",
  query: NoQuery, response: SavedViewList,
});

export const saveViewEndpoint = endpoint({
  method: "POST", path: "/saved-views", operationId: "saveView", tag: "Audit", permission: "usage.read", status: 201,
  summary: "Save an Audit view (its filters) under a name; an existing name is replaced",
  query: NoQuery, body: SaveViewInput, response: SavedViewOutput,
});

export const deleteSavedViewEndpoint = endpoint({
  method: "DELETE", path: "/saved-views/{id}", operationId: "deleteSavedView", tag: "Audit", permission: "usage.read", status: 204,
  summary: "Delete one of the caller's saved views",
  params: IdParams, query: NoQuery,
});
