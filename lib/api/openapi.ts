import { z } from "zod";
import { PERMISSIONS } from "@core/auth/roles";
import { DEFAULT_MAX_BODY_BYTES, type Endpoint } from "./endpoint";
import { ALL_ENDPOINTS } from "./all-endpoints";
import { ErrorBody } from "./problem";

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  delete json.$schema;
  return json;
}

function parametersOf(ep: Endpoint) {
  const parameters: JsonSchema[] = [];
  for (const [where, schema] of [
    ["path", ep.params],
    ["query", ep.query],
  ] as const) {
    if (!schema) continue;
    const json = schemaOf(schema, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, prop] of Object.entries(json.properties ?? {})) {
      const { description, ...rest } = prop as { description?: string };
      parameters.push({
        name,
        in: where,
        required: where === "path" || (json.required ?? []).includes(name),
        ...(description ? { description } : {}),
        schema: rest,
      });
    }
  }
  return parameters;
}

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

/** The OpenAPI 3.1 document, generated from the endpoint contracts in ./endpoints. */
export function buildOpenApiDocument(serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const ep of ALL_ENDPOINTS as Endpoint[]) {
    const signed = ep.auth === "edge-signature" || ep.auth === "logpush-secret";
    const byJob = ep.auth === "logpush-secret";
    const roles = ep.permission ? PERMISSIONS[ep.permission].roles.join(", ") : "any authenticated caller";
    const scope = ep.permission ? PERMISSIONS[ep.permission].scope : "read";
    const responses: Record<string, unknown> = {
      [String(ep.status)]:
        ep.streamResponse
          ? { description: "OK, streamed", content: Object.fromEntries(ep.streamResponse.map((type) => [type, { schema: { type: "string" } }])) }
          : ep.status === 204 || !ep.response
          ? { description: "Done" }
          : { description: "OK", content: { "application/json": { schema: schemaOf(ep.response, "output") } } },
      "400": errorResponse("Malformed JSON or invalid input (code INVALID_JSON or VALIDATION_ERROR)"),
      "401": errorResponse(
        byJob
          ? "Missing or unknown X-Portcullis-Logpush-Secret, or its job was revoked"
          : signed
            ? "Missing or invalid X-Portcullis-Signature, or its timestamp is outside the tolerance"
            : "Missing, invalid, expired or revoked token",
      ),
      ...(signed ? {} : { "403": errorResponse("The token's user or scopes do not allow this") }),
    };
    if (ep.params) responses["404"] = errorResponse("Not found");
    if (!signed && (ep.method === "POST" || ep.method === "PATCH" || ep.method === "PUT")) responses["409"] = errorResponse("Conflicts with existing state");
    if (ep.body && !ep.streamBody) responses["413"] = errorResponse(`Body over ${(ep.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES).toLocaleString("en")} bytes (code PAYLOAD_TOO_LARGE)`);
    if (!signed) responses["400"] = errorResponse("Malformed JSON or invalid input (code INVALID_JSON or VALIDATION_ERROR), or text with a NUL character, invalid Unicode or nesting over 64 levels (code INVALID_TEXT)");
    for (const [status, description] of Object.entries(ep.errors ?? {})) responses[status] = errorResponse(description);
    const access = byJob
      ? "Authenticated by a Logpush job's secret (X-Portcullis-Logpush-Secret, sent by Logpush from the destination_conf's header_ parameter); API tokens are not accepted."
      : signed
        ? "Authenticated by the edge secret's signature (X-Portcullis-Signature); API tokens are not accepted."
        : `Roles: ${roles}. Token scope: ${scope}.`;
    (paths[ep.path] ??= {})[ep.method.toLowerCase()] = {
      operationId: ep.operationId,
      summary: ep.summary,
      description: `${ep.description ? `${ep.description}\n\n` : ""}${access}`,
      tags: [ep.tag],
      ...(signed ? { security: [byJob ? { logpushSecret: [] } : { edgeSignature: [] }] } : {}),
      parameters: parametersOf(ep),
      ...(ep.body
        ? { requestBody: { required: true, content: { [ep.streamBody ?? "application/json"]: { schema: schemaOf(ep.body, "input") } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Portcullis API",
      version: "1",
      description: "Everything the console does, for automation. Authenticate with `Authorization: Bearer <api token>`.",
    },
    servers: [{ url: serverUrl }],
    security: [{ bearerAuth: [] }],
    components: {
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "A Portcullis API token (pcs_…)" },
        edgeSignature: {
          type: "apiKey",
          in: "header",
          name: "X-Portcullis-Signature",
          description:
            "For the portal Worker only: `t=<unix seconds>,v1=<hex HMAC-SHA-256>` over `<t>.<raw body>`, keyed by HKDF(PORTCULLIS_EDGE_SECRET, \"portcullis edge events v1\"); accepted within 300 s of the console's clock.",
        },
        logpushSecret: {
          type: "apiKey",
          in: "header",
          name: "X-Portcullis-Logpush-Secret",
          description: "For Cloudflare Logpush jobs only: the secret of a job created in Settings → Logpush (`pcl_…`), which Logpush sends from `?header_X-Portcullis-Logpush-Secret=` in the job's destination_conf.",
        },
      },
      schemas: { Error: schemaOf(ErrorBody, "output") },
    },
    paths,
  };
}
