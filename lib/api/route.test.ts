import { describe, it, expect, beforeAll, vi } from "vitest";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { makeUserToken } from "@/testing/users";
import { getMe } from "@/lib/users/endpoints";
import { apiRoute } from "./route";
import * as tokensRoute from "@/app/api/v1/tokens/route";
import * as tokenRoute from "@/app/api/v1/tokens/[id]/route";
import * as teamsRoute from "@/app/api/v1/teams/route";
import * as teamRoute from "@/app/api/v1/teams/[id]/route";
import * as meRoute from "@/app/api/v1/me/route";

const BASE = "http://console.test/api/v1";
const JSON_TYPE = { "content-type": "application/json" };

type Params = Record<string, string>;
const ctx = (params: Params = {}) => ({ params: Promise.resolve(params) });

function request(method: string, path: string, init: { secret?: string; body?: string; headers?: Record<string, string> } = {}): Request {
  const headers: Record<string, string> = { ...(init.secret ? { authorization: `Bearer ${init.secret}` } : {}), ...init.headers };
  return new Request(`${BASE}${path}`, { method, headers, body: init.body });
}

const json = (value: unknown) => JSON.stringify(value);

async function errorOf(res: Response): Promise<{ code: string; message: string; fields?: Record<string, string> }> {
  const body = (await res.json()) as { error: { code: string; message: string; fields?: Record<string, string> } };
  return body.error;
}

describe.each(testDatabases())("apiRoute on $name", (database) => {
  const { db } = useTestDatabase(database, { getDb: true });
  let memberSecret: string;
  let adminSecret: string;
  let viewerReadOnlySecret: string;
  beforeAll(async () => {
    memberSecret = await makeUserToken(db, "member");
    adminSecret = await makeUserToken(db, "admin");
    viewerReadOnlySecret = await makeUserToken(db, "viewer", ["read"]);
  });

  describe("authentication and authorization", () => {
    it("answers a missing Authorization header with 401, WWW-Authenticate and the error body", async () => {
      const res = await tokensRoute.GET(request("GET", "/tokens"), ctx());
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
      expect(res.headers.get("cache-control")).toBe("no-store");
      const body = (await res.json()) as { error: Record<string, unknown> };
      expect(Object.keys(body)).toEqual(["error"]);
      expect(body.error).toEqual({ code: "UNAUTHENTICATED", message: expect.stringMatching(/Authorization/) });
    });

    it("answers an unknown token with 401", async () => {
      const res = await meRoute.GET(request("GET", "/me", { secret: `pcs_${"x".repeat(32)}` }), ctx());
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
      expect((await errorOf(res)).code).toBe("UNAUTHENTICATED");
    });

    it("answers a caller without the permission with 403 before reading the body", async () => {
      const res = await teamsRoute.POST(request("POST", "/teams", { secret: viewerReadOnlySecret, headers: JSON_TYPE, body: "{not json" }), ctx());
      expect(res.status).toBe(403);
      expect(res.headers.get("www-authenticate")).toBeNull();
      expect((await errorOf(res)).code).toBe("FORBIDDEN");
    });
  });

  describe("request bodies", () => {
    // An administrator's token: only those create tokens through the API.
    const post = (body: string, headers: Record<string, string> = JSON_TYPE) =>
      tokensRoute.POST(request("POST", "/tokens", { secret: adminSecret, headers, body }), ctx());

    it("answers malformed JSON with 400 INVALID_JSON", async () => {
      const res = await post('{"name": "x",');
      expect(res.status).toBe(400);
      expect((await errorOf(res)).code).toBe("INVALID_JSON");
    });

    it("answers an empty body with 400", async () => {
      for (const body of ["", "   \n"]) {
        const res = await post(body);
        expect(res.status).toBe(400);
        expect((await errorOf(res)).code).toBe("INVALID_JSON");
      }
    });

    it("answers wrong types with 400 VALIDATION_ERROR naming the fields", async () => {
      const res = await post(json({ name: 42, scopes: "all" }));
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe("VALIDATION_ERROR");
      expect(error.message).toMatch(/body\.name: /);
      expect(error.message).toMatch(/body\.scopes: /);
      expect(Object.keys(error.fields ?? {}).sort()).toEqual(["name", "scopes"]);
    });

    it("answers a non-object JSON body with 400", async () => {
      for (const body of ["[]", "null", '"name"', "42"]) {
        const res = await post(body);
        expect(res.status, body).toBe(400);
        expect((await errorOf(res)).code).toBe("VALIDATION_ERROR");
      }
    });

    it("answers an unknown extra field with 400 (schemas are strict)", async () => {
      const res = await post(json({ name: "x", admin: true }));
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe("VALIDATION_ERROR");
      expect(error.message).toContain("admin");
    });

    it("answers a non-JSON content type with 415", async () => {
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonp"]) {
        const res = await post(json({ name: "x" }), { "content-type": type });
        expect(res.status, type).toBe(415);
        expect((await errorOf(res)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
      }
    });

    it("accepts JSON content types with parameters or a +json suffix", async () => {
      for (const type of ["application/json; charset=utf-8", "application/merge-patch+json"]) {
        const res = await post(json({ name: `ok ${type}` }), { "content-type": type });
        expect(res.status, type).toBe(201);
      }
    });

    it("answers a body over 1,000,000 bytes with 413", async () => {
      const big = json({ name: "x".repeat(1_000_000) });
      const res = await post(big);
      expect(res.status).toBe(413);
      expect((await errorOf(res)).code).toBe("PAYLOAD_TOO_LARGE");
    });

    it("answers a declared Content-Length over 1,000,000 bytes with 413", async () => {
      const res = await post(json({ name: "x" }), { ...JSON_TYPE, "content-length": "1000001" });
      expect(res.status).toBe(413);
      expect((await errorOf(res)).code).toBe("PAYLOAD_TOO_LARGE");
    });

    it("answers a multi-byte body over 1,000,000 bytes (but under 1,000,000 characters) with 413", async () => {
      const big = json({ name: "é".repeat(600_000) });
      expect(big.length).toBeLessThan(1_000_000);
      expect(new TextEncoder().encode(big).byteLength).toBeGreaterThan(1_000_000);
      const res = await post(big);
      expect(res.status).toBe(413);
    });
  });

  describe("query and path parameters", () => {
    it("answers an unknown query parameter with 400", async () => {
      const res = await tokensRoute.GET(request("GET", "/tokens?everything=true", { secret: memberSecret }), ctx());
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe("VALIDATION_ERROR");
      expect(error.message).toContain("everything");
    });

    it("answers a malformed path id with 400 naming the parameter", async () => {
      const res = await tokenRoute.DELETE(request("DELETE", "/tokens/nope", { secret: memberSecret }), ctx({ id: "nope" }));
      expect(res.status).toBe(400);
      expect((await errorOf(res)).message).toMatch(/path\.id/);
    });

    it("maps domain errors: unknown id 404, duplicate 409", async () => {
      const id = crypto.randomUUID();
      const missing = await tokenRoute.DELETE(request("DELETE", `/tokens/${id}`, { secret: memberSecret }), ctx({ id }));
      expect(missing.status).toBe(404);
      expect((await errorOf(missing)).code).toBe("NOT_FOUND");

      const team = json({ slug: `dup-${crypto.randomUUID().slice(0, 8)}`, name: "Dup" });
      const first = await teamsRoute.POST(request("POST", "/teams", { secret: adminSecret, headers: JSON_TYPE, body: team }), ctx());
      expect(first.status).toBe(201);
      const second = await teamsRoute.POST(request("POST", "/teams", { secret: adminSecret, headers: JSON_TYPE, body: team }), ctx());
      expect(second.status).toBe(409);
      expect((await errorOf(second)).code).toBe("CONFLICT");
    });
  });

  describe("unexpected failures", () => {
    it("answers 500 INTERNAL_ERROR without the exception text, and logs it", async () => {
      const spy = vi.spyOn(console, "error").mockImplementation(() => undefined);
      try {
        const failing = apiRoute(getMe, async () => {
          throw new Error("connection to db-primary.internal:5432 refused (password hunter2)");
        });
        const res = await failing(request("GET", "/me", { secret: memberSecret }), ctx());
        expect(res.status).toBe(500);
        expect(res.headers.get("cache-control")).toBe("no-store");
        const text = await res.text();
        expect(text).not.toContain("hunter2");
        expect(text).not.toContain("db-primary");
        expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe("INTERNAL_ERROR");
        expect(spy).toHaveBeenCalled();
        expect(String(spy.mock.calls[0]?.join(" "))).not.toContain(memberSecret);
      } finally {
        spy.mockRestore();
      }
    });

    it("answers 500 (not a client 400) when a handler's response breaks the endpoint's contract", async () => {
      const spy = vi.spyOn(console, "error").mockImplementation(() => undefined);
      try {
        const broken = apiRoute(getMe, async () => ({ kind: "robot" }) as never);
        const res = await broken(request("GET", "/me", { secret: memberSecret }), ctx());
        expect(res.status).toBe(500);
        expect((await errorOf(res)).code).toBe("INTERNAL_ERROR");
      } finally {
        spy.mockRestore();
      }
    });
  });

  describe("successful calls", () => {
    it("creates a token with 201 and the secret, and never lists the secret afterwards", async () => {
      const res = await tokensRoute.POST(request("POST", "/tokens", { secret: adminSecret, headers: JSON_TYPE, body: json({ name: "ci", scopes: ["read"] }) }), ctx());
      expect(res.status).toBe(201);
      expect(res.headers.get("cache-control")).toBe("no-store");
      const created = (await res.json()) as { id: string; secret: string; scopes: string[]; status: string };
      expect(created.secret).toMatch(/^pcs_[A-Za-z0-9_-]{32}$/);
      expect(created).toMatchObject({ scopes: ["read"], status: "active" });

      for (const [secret, query] of [
        [adminSecret, ""],
        [adminSecret, "?includeRevoked=true"],
        [adminSecret, "?all=true&includeRevoked=true"],
      ] as const) {
        const list = await tokensRoute.GET(request("GET", `/tokens${query}`, { secret }), ctx());
        expect(list.status).toBe(200);
        expect(list.headers.get("cache-control")).toBe("no-store");
        const text = await list.text();
        expect(text).toContain(created.id);
        expect(text).not.toContain(created.secret);
        expect(text).not.toContain(created.secret.slice(12));
      }

      const asNew = await meRoute.GET(request("GET", "/me", { secret: created.secret }), ctx());
      expect(asNew.status).toBe(200);
      expect(await asNew.json()).toMatchObject({ kind: "token", token: { id: created.id } });

      const revoked = await tokenRoute.DELETE(request("DELETE", `/tokens/${created.id}`, { secret: adminSecret }), ctx({ id: created.id }));
      expect(revoked.status).toBe(200);
      expect(await revoked.json()).toMatchObject({ id: created.id, status: "revoked" });
      expect((await meRoute.GET(request("GET", "/me", { secret: created.secret }), ctx())).status).toBe(401);
    });

    it("answers all=true from a member with 403", async () => {
      const res = await tokensRoute.GET(request("GET", "/tokens?all=true", { secret: memberSecret }), ctx());
      expect(res.status).toBe(403);
      expect(res.headers.get("cache-control")).toBe("no-store");
    });

    it("answers a DELETE with 204, no body and cache-control no-store", async () => {
      const created = await teamsRoute.POST(
        request("POST", "/teams", { secret: adminSecret, headers: JSON_TYPE, body: json({ slug: `gone-${crypto.randomUUID().slice(0, 8)}`, name: "Gone" }) }),
        ctx(),
      );
      const { id } = (await created.json()) as { id: string };
      const res = await teamRoute.DELETE(request("DELETE", `/teams/${id}`, { secret: adminSecret }), ctx({ id }));
      expect(res.status).toBe(204);
      expect(await res.text()).toBe("");
      expect((await teamRoute.GET(request("GET", `/teams/${id}`, { secret: adminSecret }), ctx({ id }))).status).toBe(404);
      expect(res.headers.get("cache-control")).toBe("no-store");
    });
  });
});

describe("unique violations", () => {
  it("answer 409 CONFLICT, also when wrapped as a cause, and anything else stays a 500", async () => {
    const { toProblem } = await import("./problem");
    const pgError = Object.assign(new Error('duplicate key value violates unique constraint "policies_name_idx"'), { code: "23505" });
    expect(toProblem(pgError).status).toBe(409);
    expect(toProblem(new Error("Failed query", { cause: pgError }))).toMatchObject({ status: 409, body: { error: { code: "CONFLICT" } } });
    expect(toProblem(Object.assign(new Error("x"), { code: "23503" })).status).toBe(500);
    // The message never quotes the database's own text.
    expect(JSON.stringify(toProblem(pgError).body)).not.toContain("policies_name_idx");
  });
});
