import { expect, test } from "@playwright/test";
import { BOOTSTRAP_TOKEN, FIXTURE_MCP_ORIGIN, OIDC_CONSOLE } from "@/testing/e2e/fixtures";

const admin = { authorization: `Bearer ${BOOTSTRAP_TOKEN}` };

test.describe("REST API over HTTP", () => {
  test("refuses anonymous and bogus callers with JSON errors", async ({ request }) => {
    const anon = await request.get(`${OIDC_CONSOLE}/api/v1/me`);
    expect(anon.status()).toBe(401);
    expect(anon.headers()["www-authenticate"]).toContain("Bearer");
    expect((await anon.json()).error.code).toBe("UNAUTHENTICATED");

    const bogus = await request.get(`${OIDC_CONSOLE}/api/v1/me`, { headers: { authorization: "Bearer pcs_notarealtokennotarealtokennotareal" } });
    expect(bogus.status()).toBe(401);
  });

  test("the bootstrap token provisions a service account whose token works, shown once", async ({ request }) => {
    const me = await request.get(`${OIDC_CONSOLE}/api/v1/me`, { headers: admin });
    expect(await me.json()).toMatchObject({ kind: "bootstrap", role: "admin", user: null });

    const user = await request.post(`${OIDC_CONSOLE}/api/v1/users`, { headers: admin, data: { email: "ci-bot@acme.test", role: "viewer" } });
    expect(user.status()).toBe(201);
    const { id: userId } = await user.json();

    const created = await request.post(`${OIDC_CONSOLE}/api/v1/tokens`, {
      headers: admin,
      data: { name: "ci", userId, scopes: ["read"], expiresInDays: 7 },
    });
    expect(created.status()).toBe(201);
    const token = await created.json();
    expect(token.secret).toMatch(/^pcs_/);

    const asBot = await request.get(`${OIDC_CONSOLE}/api/v1/me`, { headers: { authorization: `Bearer ${token.secret}` } });
    expect(await asBot.json()).toMatchObject({ kind: "token", role: "viewer", scopes: ["read"], user: { email: "ci-bot@acme.test" } });

    const listed = await request.get(`${OIDC_CONSOLE}/api/v1/tokens?all=true`, { headers: admin });
    const text = await listed.text();
    expect(text).toContain(token.id);
    expect(text).not.toContain(token.secret);

    // A read-only viewer token cannot write.
    const denied = await request.post(`${OIDC_CONSOLE}/api/v1/teams`, {
      headers: { authorization: `Bearer ${token.secret}` },
      data: { slug: "nope", name: "Nope" },
    });
    expect(denied.status()).toBe(403);
  });

  test("malformed JSON and wrong types are 400 with a clear message, never 500", async ({ request }) => {
    const malformed = await request.post(`${OIDC_CONSOLE}/api/v1/teams`, {
      headers: { ...admin, "content-type": "application/json" },
      data: Buffer.from('{"slug": "x",'),
    });
    expect(malformed.status()).toBe(400);
    expect((await malformed.json()).error.code).toBe("INVALID_JSON");

    const wrongTypes = await request.post(`${OIDC_CONSOLE}/api/v1/tokens`, { headers: admin, data: { name: 42, scopes: "all" } });
    expect(wrongTypes.status()).toBe(400);
    const body = await wrongTypes.json();
    expect(body.error.code).toBe("VALIDATION_ERROR");
    expect(body.error.message).toContain("name");

    const badId = await request.get(`${OIDC_CONSOLE}/api/v1/users/not-a-uuid`, { headers: admin });
    expect(badId.status()).toBe(400);
  });

  test("serves an OpenAPI document that covers every endpoint", async ({ request }) => {
    const res = await request.get(`${OIDC_CONSOLE}/api/v1/openapi.json`);
    expect(res.status()).toBe(200);
    const doc = await res.json();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/me", "/tokens", "/tokens/{id}", "/users", "/users/{id}", "/teams", "/teams/{id}", "/teams/{id}/members", "/teams/{id}/members/{userId}"]),
    );
    expect(doc.paths["/tokens"].post.requestBody.content["application/json"].schema.properties.name.type).toBe("string");
  });
});

test.describe("registry API over HTTP", () => {
  test("registers a real MCP server, approves it and syncs it; refuses private and metadata addresses", async ({ request }) => {
    const slug = `api-weather-${Date.now().toString(36)}`;
    const created = await request.post(`${OIDC_CONSOLE}/api/v1/servers`, {
      headers: admin,
      data: { name: "Weather (API)", slug, url: `${FIXTURE_MCP_ORIGIN}/mcp`, justification: "automation", auth: { type: "bearer", token: "not-needed-but-stored" } },
    });
    expect(created.status(), await created.text()).toBe(201);
    const server = await created.json();
    expect(server).toMatchObject({ status: "pending_review", transport: "streamable-http", auth: { type: "bearer", summary: { token: "set" } } });
    expect(JSON.stringify(server)).not.toContain("not-needed-but-stored");
    expect(server.tools.map((t: { name: string }) => t.name).sort()).toEqual(["delete_station", "get_weather", "list_forecasts"]);

    const approved = await request.post(`${OIDC_CONSOLE}/api/v1/servers/${server.id}/approve`, { headers: admin, data: { reason: "ok", tools: ["get_weather"] } });
    expect(approved.status()).toBe(200);
    expect((await approved.json()).counts).toMatchObject({ enabled: 1, disabled: 2 });
    const synced = await request.post(`${OIDC_CONSOLE}/api/v1/servers/${server.id}/sync`, { headers: admin });
    expect(await synced.json()).toMatchObject({ changed: false });
    const listed = await request.get(`${OIDC_CONSOLE}/api/v1/servers?status=approved&q=${slug}`, { headers: admin });
    expect((await listed.json()).servers).toHaveLength(1);

    for (const [url, pattern] of [
      ["http://169.254.169.254/latest/meta-data/", /metadata/i],
      ["http://10.0.0.1/mcp", /private/i],
    ] as const) {
      const refused = await request.post(`${OIDC_CONSOLE}/api/v1/servers`, { headers: admin, data: { name: "Bad", slug: `bad-${Date.now().toString(36)}`, url, justification: "x" } });
      expect(refused.status(), url).toBe(422);
      const body = await refused.json();
      expect(body.error.code).toBe("UPSTREAM_ADDRESS_REFUSED");
      expect(body.error.message).toMatch(pattern);
    }
  });
});
