import { describe, it, expect, beforeAll } from "vitest";
import { readdirSync } from "node:fs";
import path from "node:path";
import type { Endpoint, HttpMethod } from "./endpoint";
import { ALL_ENDPOINTS } from "./all-endpoints";
import { buildOpenApiDocument } from "./openapi";

type Operation = {
  operationId: string;
  parameters: { name: string; in: string; required: boolean }[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, unknown>;
};
type JsonSchema = { type?: string; properties?: Record<string, JsonSchema>; required?: string[]; items?: JsonSchema; enum?: unknown[]; additionalProperties?: unknown };

const METHODS: HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
const API_DIR = path.join(process.cwd(), "app", "api", "v1");
const endpoints = ALL_ENDPOINTS as Endpoint[];
const doc = buildOpenApiDocument("http://x/api/v1");
const paths = doc.paths as Record<string, Record<string, Operation>>;

function operation(pathKey: string, method: string): Operation {
  const op = paths[pathKey]?.[method.toLowerCase()];
  if (!op) throw new Error(`${method} ${pathKey} is not documented`);
  return op;
}

/** `app/api/v1/teams/[id]/members/route.ts` → `/teams/{id}/members` */
function routeFiles(dir = API_DIR): { file: string; apiPath: string }[] {
  const found: { file: string; apiPath: string }[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...routeFiles(full));
    else if (entry.name === "route.ts") {
      const rel = path.relative(API_DIR, dir).split(path.sep).filter(Boolean);
      found.push({ file: full, apiPath: `/${rel.map((s) => s.replace(/^\[(.+)\]$/, "{$1}")).join("/")}` });
    }
  }
  return found;
}

describe("OpenAPI document", () => {
  it("is OpenAPI 3.1 with the given server and bearer auth", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers).toEqual([{ url: "http://x/api/v1" }]);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(() => JSON.parse(JSON.stringify(doc))).not.toThrow();
  });

  it("documents every endpoint under its path and method with its operationId", () => {
    expect(endpoints.length).toBeGreaterThan(0);
    for (const ep of endpoints) {
      const op = operation(ep.path, ep.method);
      expect(op.operationId, `${ep.method} ${ep.path}`).toBe(ep.operationId);
      expect(op.responses, ep.operationId).toHaveProperty(String(ep.status));
    }
    const documented = Object.values(paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
    expect(documented).toBe(endpoints.length);
  });

  it("has unique operationIds", () => {
    const ids = endpoints.map((e) => e.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const docIds = Object.values(paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    expect(new Set(docIds).size).toBe(docIds.length);
  });

  it("documents every {placeholder} of a path as a required path parameter", () => {
    for (const ep of endpoints) {
      const names = [...ep.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const pathParams = operation(ep.path, ep.method).parameters.filter((p) => p.in === "path");
      expect(pathParams.map((p) => p.name).sort(), ep.operationId).toEqual(names.sort());
      expect(pathParams.every((p) => p.required)).toBe(true);
    }
  });

  it("derives request bodies from the zod schemas", () => {
    const body = operation("/tokens", "POST").requestBody!;
    expect(body.required).toBe(true);
    const schema = body.content["application/json"]!.schema;
    expect(schema.type).toBe("object");
    expect(schema.required).toEqual(["name"]);
    expect(schema.properties!.scopes!.items!.enum).toEqual(["read", "write"]);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties!).sort()).toEqual(["expiresInDays", "name", "scopes", "userId"]);

    for (const ep of endpoints) {
      const op = operation(ep.path, ep.method);
      expect(Boolean(op.requestBody), ep.operationId).toBe(Boolean(ep.body));
    }
  });

  it("documents each JSON body's size limit as a 413, and the text refused at the boundary as a 400", () => {
    const withBody = endpoints.filter((e) => e.body && !e.streamBody);
    expect(withBody.length).toBeGreaterThan(10);
    for (const ep of withBody) {
      const responses = operation(ep.path, ep.method).responses as Record<string, { description: string }>;
      expect(responses["413"]?.description, ep.operationId).toMatch(/^Body over [\d,]+ bytes/);
    }
    expect((operation("/policies/import", "POST").responses as Record<string, { description: string }>)["413"]!.description).toMatch(/^Body over 6,000,000 bytes/);
    expect((operation("/teams", "POST").responses as Record<string, { description: string }>)["400"]!.description).toMatch(/INVALID_TEXT/);
  });

  it("documents query parameters from the query schema", () => {
    const params = operation("/tokens", "GET").parameters.filter((p) => p.in === "query");
    expect(params.map((p) => [p.name, p.required])).toEqual([
      ["all", false],
      ["includeRevoked", false],
    ]);
  });
});

describe("route files on disk", () => {
  const files = routeFiles().filter((f) => f.apiPath !== "/openapi.json");
  const exported = new Map<string, string[]>();
  beforeAll(async () => {
    for (const { file, apiPath } of files) {
      const mod = (await import(file)) as Record<string, unknown>;
      exported.set(apiPath, METHODS.filter((m) => typeof mod[m] === "function"));
    }
  });

  it("finds the route files", () => {
    expect(files.map((f) => f.apiPath)).toEqual(expect.arrayContaining(["/tokens", "/tokens/{id}", "/teams/{id}/members/{userId}"]));
  });

  it("each exports exactly the methods documented for its path", () => {
    expect(exported.size).toBe(files.length);
    for (const [apiPath, methods] of exported) {
      const documented = endpoints.filter((e) => e.path === apiPath).map((e) => e.method);
      expect(methods.sort(), apiPath).toEqual(documented.sort());
    }
  });

  it("cover every documented path", () => {
    const onDisk = new Set(exported.keys());
    for (const ep of endpoints) expect(onDisk.has(ep.path), `${ep.method} ${ep.path} has no route file`).toBe(true);
  });

  it("serves the document at /openapi.json with the request's origin", async () => {
    const mod = (await import(path.join(API_DIR, "openapi.json", "route.ts"))) as { GET: (r: Request) => Response };
    const res = mod.GET(new Request("https://console.acme.test:8443/api/v1/openapi.json"));
    expect(res.status).toBe(200);
    const served = (await res.json()) as { servers: { url: string }[]; paths: Record<string, unknown> };
    expect(served.servers).toEqual([{ url: "https://console.acme.test:8443/api/v1" }]);
    expect(Object.keys(served.paths).sort()).toEqual(Object.keys(paths).sort());
  });
});
