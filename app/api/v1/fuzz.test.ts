/**
 * Hostile input against every operation of the OpenAPI document, as anonymous, viewer and admin:
 * malformed JSON, wrong content types, wrong types per field, 1 MB strings, deeply nested JSON,
 * NUL and unpaired surrogates, invalid UTF-8, unknown fields, bad path ids and bad query values.
 * Every answer must be a 4xx/2xx with a JSON error body that leaks nothing (no stack trace, SQL or
 * file path), and the console must still serve afterwards.
 */
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "@/lib/api/openapi";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { makeToken, makeUser } from "@/testing/users";

type JsonSchema = {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  minLength?: number;
  pattern?: string;
};
type Operation = {
  operationId: string;
  parameters: { name: string; in: "path" | "query"; required: boolean; schema: JsonSchema }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
};
type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;

const API_DIR = path.join(process.cwd(), "app", "api", "v1");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
const MB = "x".repeat(1_000_000);
const DEEP = "[".repeat(20_000) + "]".repeat(20_000);
const NUL = "fuzz\u0000nul";
const SURROGATE = "fuzz\ud800lone";
/** What an answer must never contain: a stack frame, a source path, SQL, a driver's failed-query dump. */
const LEAK = /\bat [\w$.<>]+ \(|\/work\/|node_modules|\.tsx?:\d+|\bselect\b.+\bfrom\b|\binsert into\b|failed query|\bparams:/i;

/** `/teams/{id}/members` → the route module's handler for a method. */
async function routeHandlers(): Promise<Map<string, Handler>> {
  const out = new Map<string, Handler>();
  const walk = async (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name === "route.ts") {
        const apiPath = "/" + path.relative(API_DIR, dir).split(path.sep).filter(Boolean).map((s) => s.replace(/^\[(.+)\]$/, "{$1}")).join("/");
        const mod = (await import(full)) as Record<string, Handler>;
        for (const m of METHODS) if (typeof mod[m] === "function") out.set(`${m} ${apiPath}`, mod[m]);
      }
    }
  };
  await walk(API_DIR);
  return out;
}

/** A plausible value for a schema, so that one hostile field at a time reaches the verb behind it. */
function plausible(schema: JsonSchema | undefined, depth = 0): unknown {
  if (!schema || depth > 4) return "fuzz";
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  const alt = schema.anyOf ?? schema.oneOf;
  if (alt?.length) return plausible(alt.find((s) => s.type !== "null") ?? alt[0], depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "object":
      return Object.fromEntries(Object.entries(schema.properties ?? {}).filter(([k]) => schema.required?.includes(k)).map(([k, v]) => [k, plausible(v, depth + 1)]));
    case "array":
      return [];
    case "integer":
    case "number":
      return Math.max(schema.minimum ?? 1, 1);
    case "boolean":
      return true;
    default:
      if (schema.format === "uuid") return crypto.randomUUID();
      if (schema.format === "uri") return "https://fuzz.invalid/mcp";
      if (schema.format === "email") return "fuzz@example.invalid";
      if (schema.format === "date-time") return "2026-01-01T00:00:00Z";
      return "fuzz-value";
  }
}

/** Hostile values for one field of a schema: each of the wrong types, and the hostile strings. */
function hostileValues(schema: JsonSchema): unknown[] {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const wrongTypes = [type === "string" ? 12345 : "not-of-this-type", type === "array" ? { not: "an array" } : [1, 2], { nested: { deeper: true } }, null, true];
  return [...wrongTypes, "", NUL, SURROGATE, MB, "\u202e\u200b\ufeff", "' OR 1=1 --", "../../etc/passwd", -1, 1e308, Number.MAX_SAFE_INTEGER + 2];
}

interface Probe {
  label: string;
  params: Record<string, string>;
  query: string;
  body?: BodyInit;
  contentType?: string;
}

function probesFor(op: Operation, method: string, full: boolean): Probe[] {
  const pathParams = op.parameters.filter((p) => p.in === "path");
  const queryParams = op.parameters.filter((p) => p.in === "query");
  const goodParams = Object.fromEntries(pathParams.map((p) => [p.name, p.schema.format === "uuid" || p.name === "id" || p.name === "userId" ? crypto.randomUUID() : "1"]));
  const bodySchema = op.requestBody?.content["application/json"]?.schema;
  const stream = op.requestBody?.content["application/x-ndjson"];
  const base = bodySchema ? (plausible(bodySchema) as Record<string, unknown>) : undefined;
  const json = (value: unknown) => JSON.stringify(value);
  const probes: Probe[] = [];
  const add = (label: string, over: Partial<Probe> = {}) => probes.push({ label, params: goodParams, query: "", ...over });

  add("plausible");
  for (const p of pathParams) {
    for (const bad of ["not-a-uuid", "..%2F..%2Fetc", "%00", "x".repeat(5000), "00000000-0000-0000-0000-000000000000", "-1", "9999999999999999999999"]) {
      add(`path ${p.name}=${bad.slice(0, 20)}`, { params: { ...goodParams, [p.name]: decodeURIComponent(bad.replace(/%(?![0-9A-F]{2})/g, "%25")) } });
    }
  }
  for (const q of queryParams) {
    for (const bad of ["%00", "%ED%A0%80", "x".repeat(10_000), "-1", "abc", "1e999", "true", "[]"]) add(`query ${q.name}=${bad.slice(0, 12)}`, { query: `?${q.name}=${bad}` });
    add(`query ${q.name} twice`, { query: `?${q.name}=1&${q.name}=2` });
  }
  add("unknown query parameter", { query: "?definitely_unknown=1" });
  if (method === "GET") return probes;
  if (method === "DELETE") {
    add("a body on a DELETE", { body: json({ x: 1 }), contentType: "application/json" });
    return probes;
  }
  if (stream) {
    for (const [label, body] of [
      ["NDJSON with NUL", `${json({ ts: "2026-01-01T00:00:00Z", url: "https://a.example/mcp", method: "POST", request_body_prefix: NUL })}\n`],
      ["NDJSON with a lone surrogate", `{"ts":"2026-01-01T00:00:00Z","url":"https://a.example/\\ud800mcp","method":"POST"}\n`],
      ["NDJSON garbage", "\u0000\u0001\u0002\n{{{\n]]]\n"],
      ["NDJSON one 2 MB line", "x".repeat(2_000_000)],
      ["NDJSON deep", DEEP + "\n"],
      ["NDJSON empty", ""],
    ] as const) {
      add(label, { body, contentType: "application/x-ndjson" });
    }
    add("NDJSON invalid UTF-8", { body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]), contentType: "application/x-ndjson" });
    return probes;
  }
  add("malformed JSON", { body: "{not json", contentType: "application/json" });
  add("empty body", { body: "", contentType: "application/json" });
  add("wrong content type", { body: json(base ?? {}), contentType: "text/plain" });
  add("form-encoded", { body: "a=1&b=2", contentType: "application/x-www-form-urlencoded" });
  add("no content type", { body: json(base ?? {}) });
  for (const root of [[], 42, "string", null, true]) add(`root ${json(root)}`, { body: json(root), contentType: "application/json" });
  add("deeply nested", { body: DEEP, contentType: "application/json" });
  add("deeply nested object field", { body: json({ ...base, nested: JSON.parse("{\"a\":".repeat(2_000) + "1" + "}".repeat(2_000)) }), contentType: "application/json" });
  add("over 1 MB", { body: json({ ...base, big: MB }), contentType: "application/json" });
  add("invalid UTF-8", { body: new Uint8Array([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), contentType: "application/json" });
  add("NUL as a raw escape", { body: '{"name":"a\\u0000b"}', contentType: "application/json" });
  add("lone surrogate as a raw escape", { body: '{"name":"a\\ud800b"}', contentType: "application/json" });
  add("unknown field", { body: json({ ...base, unknownField: "x" }), contentType: "application/json" });
  if (full && bodySchema?.properties) {
    for (const [field, schema] of Object.entries(bodySchema.properties)) {
      for (const value of hostileValues(schema)) add(`body.${field}=${String(JSON.stringify(value)).slice(0, 16)}`, { body: json({ ...base, [field]: value }), contentType: "application/json" });
    }
  }
  return probes;
}

describe.each(testDatabases())("hostile input across the API on $name", (database) => {
  const { db } = useTestDatabase(database, { getDb: true });
  const saved = { ...process.env };
  const tokens = new Map<string, string | null>();
  let handlers: Map<string, Handler>;

  beforeAll(async () => {
    process.env.PORTCULLIS_DATA_DIR = mkdtempSync(path.join(tmpdir(), "fuzz-"));
    // Nothing listens there: a publish records "unreachable" at once.
    process.env.PORTCULLIS_PORTAL_URLS = "http://127.0.0.1:9";
    tokens.set("anonymous", null);
    tokens.set("viewer", await makeToken(db, (await makeUser(db, "viewer")).userId, ["read"]));
    tokens.set("admin", await makeToken(db, (await makeUser(db, "admin")).userId));
    handlers = await routeHandlers();
  }, 120_000);
  afterAll(() => {
    process.env = saved;
  });

  const doc = buildOpenApiDocument("http://console.test/api/v1");
  const operations = Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(([apiPath, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ apiPath, method: method.toUpperCase(), op })),
  );

  it.each(["anonymous", "viewer", "admin"])(
    "answers every hostile request as %s with a 4xx or a 2xx, never a 5xx, and leaks nothing",
    async (caller) => {
      const problems: string[] = [];
      let sent = 0;
      for (const { apiPath, method, op } of operations) {
        const handler = handlers.get(`${method} ${apiPath}`);
        if (!handler) {
          problems.push(`${method} ${apiPath}: no route handler`);
          continue;
        }
        for (const probe of probesFor(op, method, caller === "admin")) {
          const url = `http://console.test/api/v1${apiPath.replace(/\{(\w+)\}/g, (_, p: string) => encodeURIComponent(probe.params[p] ?? "x"))}${probe.query}`;
          const token = tokens.get(caller);
          const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(probe.contentType ? { "content-type": probe.contentType } : {}) };
          const request = new Request(url, { method, headers, body: probe.body });
          let res: Response;
          try {
            res = await handler(request, { params: Promise.resolve(probe.params) });
          } catch (error) {
            problems.push(`${method} ${apiPath} [${probe.label}]: threw ${error instanceof Error ? error.message : String(error)}`);
            continue;
          }
          sent++;
          const text = await res.text();
          if (res.status >= 500) problems.push(`${method} ${apiPath} [${probe.label}]: ${res.status} ${text.slice(0, 200)}`);
          if (LEAK.test(text)) problems.push(`${method} ${apiPath} [${probe.label}]: leaks ${text.match(LEAK)![0]}`);
          if (res.status >= 400) {
            let body: { error?: { code?: unknown; message?: unknown } } | null = null;
            try {
              body = JSON.parse(text);
            } catch {
              // reported below
            }
            if (typeof body?.error?.code !== "string" || typeof body.error.message !== "string") problems.push(`${method} ${apiPath} [${probe.label}]: ${res.status} without a JSON error body`);
          }
          if (caller === "anonymous" && res.status < 300 && op.operationId !== "getOpenApiDocument") problems.push(`${method} ${apiPath} [${probe.label}]: answered ${res.status} to an anonymous caller`);
        }
      }
      // One line each, so a failure names every operation and probe at once.
      expect(problems.join("\n")).toBe("");
      expect(sent).toBeGreaterThan(operations.length * 3);
      // The console still serves.
      const me = await handlers.get("GET /me")!(new Request("http://console.test/api/v1/me", { headers: { authorization: `Bearer ${tokens.get("admin")}` } }), { params: Promise.resolve({}) });
      expect(me.status).toBe(200);
    },
    600_000,
  );
});
