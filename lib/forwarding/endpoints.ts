import { endpoint, IdParams, NoQuery } from "@/lib/api/endpoint";
import { resourceEndpoints } from "@/lib/api/resource-endpoints";
import { CreatedSinkOutput, CreateSinkInput, RetryDeadLettersOutput, SinkOutput, UpdateSinkInput } from "./schemas";

/** The public API contracts of this domain (routes under app/api/v1; the OpenAPI document is built from them). */

const sinks = resourceEndpoints({
  path: "/forwarding/sinks",
  tag: "Forwarding",
  name: { one: "ForwardingSink", many: "ForwardingSinks", listKey: "sinks" },
  permissions: { read: "forwarding.read", manage: "forwarding.manage" },
  schemas: { output: SinkOutput, create: CreateSinkInput, update: UpdateSinkInput },
  summaries: {
    list: "Every forwarding sink with its delivery status (delivered, pending, dead letters, last success and error); never a secret",
    create: "Create a sink (signed webhook, Splunk HEC, OTLP/HTTP logs); a webhook's signing secret is in this answer only",
    get: "One sink with its delivery status",
    update: "Change a sink (only the fields sent); a new HEC token or OTLP headers replace the stored ones",
    delete: "Delete a sink and its undelivered deliveries; answers the deleted sink",
  },
  descriptions: {
    create:
      "Events are forwarded after each ingest commits, from a durable outbox (one delivery per ingest batch per sink, holding the batch's events that pass the filters), retried with exponential backoff and dead-lettered after 12 attempts. webhook: POST `{\"type\":\"events\",\"events\":[…]}` (or `{\"type\":\"alert\",\"alert\":{…}}`) with `X-Portcullis-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">`. splunk_hec: one HEC event object per event to `<url>/services/collector/event`, `Authorization: Splunk <token>`. otlp: an OTLP/HTTP JSON `ExportLogsServiceRequest` to `<url>/v1/logs`, one log record per event with its trace context. 409 when the name is taken.",
  },
});

export const { list: listSinksEndpoint, get: getSinkEndpoint, update: updateSinkEndpoint, delete: deleteSinkEndpoint } = sinks;
/** The created sink carries the webhook's secret, once. */
export const createSinkEndpoint = { ...sinks.create, response: CreatedSinkOutput };

export const retryDeadLettersEndpoint = endpoint({
  method: "POST", path: "/forwarding/sinks/{id}/retry", operationId: "retryForwardingDeadLetters", tag: "Forwarding", permission: "forwarding.manage", status: 200,
  summary: "Queue a sink's dead letters again (attempts start over); the next delivery pass sends them",
  params: IdParams, query: NoQuery, response: RetryDeadLettersOutput,
});
