import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, llmProviders } from "@/db/schema";
import { BOOTSTRAP_ACTOR } from "@/lib/auth/actor";
import { ForbiddenError, NotFoundError } from "@/lib/errors";
import { startFakeLlmProvider, type FakeLlmProvider } from "@/testing/fake-llm";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { makeUser } from "@/testing/users";
import { checkLlmProvider } from "./check-llm-provider";
import { createLlmProvider } from "./create-llm-provider";
import { checksOnSave } from "./probe-provider";
import { listLlmProviders } from "./queries";
import { ProviderOutput } from "./schemas";
import { updateLlmProvider } from "./update-llm-provider";

// Keys at rest use the console's key ring; keep the test's own out of .data/.
process.env.PORTCULLIS_ENCRYPTION_KEYS = `test1:${Buffer.alloc(32, 9).toString("base64")}`;
// The suite's default turns checks on save off (vitest.config.mts); this file is about them, against local servers.
process.env.PORTCULLIS_LLM_PROVIDER_CHECK = "on";

const KEY = "sk-check-0123456789-SECRET";
const uniq = () => Math.random().toString(36).slice(2, 8);

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.each(testDatabases())("LLM provider connection test on $name", (database) => {
  const { db } = useTestDatabase(database);
  let fake: FakeLlmProvider;
  let silent: Server;
  let silentUrl: string;
  beforeAll(async () => {
    fake = await startFakeLlmProvider({ expectedKey: KEY, models: ["gpt-a", "gpt-b", "gpt-c"], anthropicModels: ["claude-a", "claude-b"] });
    // Accepts connections and never answers: the test's own time limit must end it.
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    await fake?.close();
    silent?.closeAllConnections();
    await new Promise<void>((resolve) => silent?.close(() => resolve()));
  });

  const admin = () => ({ db, actor: BOOTSTRAP_ACTOR });
  const create = (body: Record<string, unknown>) => createLlmProvider(admin(), { slug: `c-${uniq()}`, name: "Checked", kind: "openai", ...body });
  const stored = async (id: string) => (await db.select().from(llmProviders).where(eq(llmProviders.id, id)))[0];
  /** The outcome is in the answer, in the list and on the row; the key is in none of them. */
  async function expectSaved(out: ProviderOutput) {
    expect(ProviderOutput.parse(out)).toEqual(out);
    expect(await stored(out.id)).toBeDefined();
    expect((await listLlmProviders(admin())).find((p) => p.id === out.id)?.check).toEqual(out.check);
    expect(JSON.stringify(out)).not.toContain(KEY);
    expect(out.check?.message).not.toContain("..");
    expect(JSON.stringify(await stored(out.id))).not.toContain(KEY);
    return out.check!;
  }

  it("reaches an OpenAI-compatible provider: its models list with the key as a Bearer token", async () => {
    const out = await create({ baseUrl: `${fake.url}/v1`, apiKey: KEY });
    const check = await expectSaved(out);
    expect(check).toMatchObject({ ok: true, status: 200, models: 3, message: `Reached 127.0.0.1:${fake.port}: 3 models listed.` });
    expect(Date.parse(check.checkedAt)).toBeGreaterThan(Date.now() - 60_000);
    const request = fake.requests().at(-1)!;
    expect(request).toMatchObject({ method: "GET", path: "/v1/models" });
    expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("reaches an Anthropic provider: x-api-key and anthropic-version, Anthropic's list format", async () => {
    const out = await create({ kind: "anthropic", baseUrl: `${fake.url}/v1`, apiKey: KEY });
    expect(await expectSaved(out)).toMatchObject({ ok: true, status: 200, models: 2, message: `Reached 127.0.0.1:${fake.port}: 2 models listed.` });
    const request = fake.requests().at(-1)!;
    expect(request.path).toBe("/v1/models?limit=1000");
    expect(request.headers["x-api-key"]).toBe(KEY);
    expect(request.headers["anthropic-version"]).toBe("2023-06-01");
    expect(request.headers.authorization).toBeUndefined();
  });

  it("saves a provider that refuses the key (401), and says so without the key", async () => {
    const wrong = `${KEY}-WRONG`;
    const out = await create({ baseUrl: `${fake.url}/v1`, apiKey: wrong });
    const check = await expectSaved(out);
    expect(check).toMatchObject({ ok: false, status: 401 });
    expect(check.message).toBe(`127.0.0.1:${fake.port} refused the API key (HTTP 401). Calls through /llm/${out.slug}/v1 will fail until this is fixed.`);
    expect(check.message).not.toContain(wrong);
    expect(out.hasApiKey).toBe(true);

    const keyless = await expectSaved(await create({ kind: "anthropic", baseUrl: `${fake.url}/v1` }));
    expect(keyless).toMatchObject({ ok: false, status: 401 });
    expect(keyless.message).toContain("asks for an API key (HTTP 401), and none is set");
  });

  it("saves a provider whose port is closed, and says nothing accepted the connection", async () => {
    const port = await closedPort();
    const out = await create({ baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: KEY });
    const check = await expectSaved(out);
    expect(check.ok).toBe(false);
    expect(check.status).toBeUndefined();
    expect(check.message).toBe(`Nothing accepted a connection at 127.0.0.1:${port} (ECONNREFUSED). Calls through /llm/${out.slug}/v1 will fail until this is fixed.`);
  });

  it("saves a provider whose host name does not resolve", async () => {
    const out = await create({ baseUrl: "https://llm.does-not-exist.invalid/v1", apiKey: KEY });
    const check = await expectSaved(out);
    expect(check).toMatchObject({ ok: false });
    expect(check.message).toMatch(/^The host name "llm\.does-not-exist\.invalid" did not resolve \((ENOTFOUND|EAI_AGAIN)\)\. Calls through \/llm\/c-\w+\/v1 will fail/);
  });

  it("saves a provider at an address the SSRF guard refuses, and never connects", async () => {
    const metadata = await expectSaved(await create({ baseUrl: "http://169.254.169.254/v1", apiKey: KEY }));
    expect(metadata.ok).toBe(false);
    expect(metadata.message).toMatch(/^The SSRF guard refused the address\. Refused to connect to upstream 169\.254\.169\.254: .*blocked range/);

    // With an identity provider configured (not local mode), loopback is refused too.
    const before = fake.requests().length;
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { OIDC_ISSUER: "https://idp.example.test", OIDC_CLIENT_ID: "console", OIDC_CLIENT_SECRET: "secret" });
      const loopback = await expectSaved(await create({ baseUrl: `${fake.url}/v1`, apiKey: KEY }));
      expect(loopback.ok).toBe(false);
      expect(loopback.message).toMatch(/^The SSRF guard refused the address\. .*Loopback upstreams are allowed only in local mode/);
    } finally {
      process.env = saved;
    }
    expect(fake.requests().length).toBe(before);
  });

  it("gives up after 5 s on a provider that never answers", async () => {
    const started = Date.now();
    const check = await expectSaved(await create({ baseUrl: silentUrl, apiKey: KEY }));
    expect(Date.now() - started).toBeLessThan(9_000);
    expect(check).toMatchObject({ ok: false });
    expect(check.message).toMatch(/^127\.0\.0\.1:\d+ did not answer within 5 s \(timeout\)\./);
  });

  it("says when the base URL answers something other than a models list", async () => {
    const check = await expectSaved(await create({ baseUrl: `${fake.url}/v2`, apiKey: KEY }));
    expect(check).toMatchObject({ ok: false, status: 404 });
    expect(check.message).toMatch(/answered HTTP 404 for GET \/v2\/models: Invalid URL \(GET \/v2\/models\)\. Check the base URL: it ends with the version path, such as \/v1\./);
  });

  it("tests again on every edit and on demand, without auditing the outcome", async () => {
    const port = await closedPort();
    const out = await create({ baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: KEY });
    expect(out.check?.ok).toBe(false);
    const fixed = await updateLlmProvider(admin(), out.id, { baseUrl: `${fake.url}/v1` });
    expect(fixed.check).toMatchObject({ ok: true, models: 3 });
    // The stored key is used when the edit does not send one.
    expect(fake.requests().at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);

    const rowBefore = await stored(out.id);
    const again = await checkLlmProvider(admin(), out.id);
    expect(again.check).toMatchObject({ ok: true, models: 3 });
    expect(Date.parse(again.check!.checkedAt)).toBeGreaterThanOrEqual(Date.parse(fixed.check!.checkedAt));
    // Not a change of settings: updatedAt stays, and the trail has no check in it.
    expect(again.updatedAt).toBe(fixed.updatedAt);
    expect((await stored(out.id))!.updatedAt).toEqual(rowBefore!.updatedAt);
    const trail = await db.select().from(auditLog).where(eq(auditLog.targetId, out.id));
    expect(trail.map((a) => a.action).sort()).toEqual(["llm_provider.create", "llm_provider.update"]);
    expect(JSON.stringify(trail)).not.toContain("models listed");
  });

  it("lets only gateway managers test a provider", async () => {
    const out = await create({ baseUrl: `${fake.url}/v1`, apiKey: KEY });
    for (const role of ["security", "approver", "member"] as const) {
      await expect(checkLlmProvider({ db, actor: await makeUser(db, role) }, out.id)).rejects.toBeInstanceOf(ForbiddenError);
    }
    await expect(checkLlmProvider(admin(), crypto.randomUUID())).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("checksOnSave", () => {
  it("is on unless PORTCULLIS_LLM_PROVIDER_CHECK turns it off", () => {
    expect(checksOnSave({})).toBe(true);
    expect(checksOnSave({ PORTCULLIS_LLM_PROVIDER_CHECK: "on" })).toBe(true);
    for (const off of ["off", "0", "false", "NO"]) expect(checksOnSave({ PORTCULLIS_LLM_PROVIDER_CHECK: off })).toBe(false);
  });
});
