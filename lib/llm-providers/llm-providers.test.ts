import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { auditLog, llmPrices, llmProviders } from "@/db/schema";
import { toProblem } from "@/lib/api/problem";
import { BOOTSTRAP_ACTOR } from "@/lib/auth/actor";
import { BundleLlm } from "@core/bundle/schema";
import { edgeCredentialAad, llmCredentialAad } from "@core/edge/credential";
import { generateEdgeSecret, openAtEdge, parseEdgeSecrets, type EdgeSecret } from "@core/edge/secret";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "@/lib/errors";
import { DEFAULT_PRICES, type PriceTable } from "@core/llm/pricing";
import { makeUser } from "@/testing/users";
import { compileLlm } from "./compile-llm";
import { pricesInputFromForm, providerInputFromForm } from "./form";
import { listLlmPrices } from "./queries";
import { putLlmPrices } from "./put-llm-prices";
import { resetLlmPrices } from "./reset-llm-prices";
import { sortPrices } from "./prices";
import { createLlmProvider } from "./create-llm-provider";
import { deleteLlmProvider } from "./delete-llm-provider";
import { getLlmProvider, listLlmProviders } from "./queries";
import { openApiKey } from "./store";
import { updateLlmProvider } from "./update-llm-provider";

// Keys at rest use the console's key ring; keep the test's own out of .data/.
process.env.PORTCULLIS_ENCRYPTION_KEYS = `test1:${Buffer.alloc(32, 9).toString("base64")}`;

const uniq = () => Math.random().toString(36).slice(2, 8);

describe.each(testDatabases())("LLM providers and prices on $name", (database) => {
  const { db } = useTestDatabase(database);
  let secrets: EdgeSecret[];
  beforeAll(async () => {
    secrets = await parseEdgeSecrets(generateEdgeSecret());
  });

  const admin = () => ({ db, actor: BOOTSTRAP_ACTOR });
  const row = async (id: string) => (await db.select().from(llmProviders).where(eq(llmProviders.id, id)))[0]!;
  const auditText = async () => JSON.stringify(await db.select().from(auditLog));

  it("creates, reads, edits and deletes a provider; the key is encrypted, write-only and never audited", async () => {
    const key = `sk-test-${uniq()}-SECRET`;
    const created = await createLlmProvider(admin(), { slug: `oa-${uniq()}`, name: "OpenAI", kind: "openai", apiKey: key });
    expect(created).toMatchObject({ kind: "openai", baseUrl: "https://api.openai.com/v1", hasApiKey: true, cacheTtlSeconds: 0, logBodies: false, enabled: true, gatewayPath: `/llm/${created.slug}/v1` });
    expect(JSON.stringify(created)).not.toContain(key);
    const stored = await row(created.id);
    expect(stored.credentialCiphertext).toMatch(/^v1\./);
    expect(stored.credentialCiphertext).not.toContain(key);
    expect(openApiKey(stored)).toBe(key);
    expect(await getLlmProvider(admin(), created.id)).toEqual(created);

    // Omitted: the key stays. Other fields change only when sent.
    const renamed = await updateLlmProvider(admin(), created.id, { name: "OpenAI (prod)", cacheTtlSeconds: 600, logBodies: true, enabled: false });
    expect(renamed).toMatchObject({ name: "OpenAI (prod)", hasApiKey: true, cacheTtlSeconds: 600, logBodies: true, enabled: false });
    expect(openApiKey(await row(created.id))).toBe(key);
    const named = await updateLlmProvider(admin(), created.id, { name: "OpenAI" });
    expect(named).toMatchObject({ enabled: false, logBodies: true, cacheTtlSeconds: 600 });
    // A new key replaces; null removes.
    const newKey = `sk-new-${uniq()}-SECRET`;
    await updateLlmProvider(admin(), created.id, { apiKey: newKey });
    expect(openApiKey(await row(created.id))).toBe(newKey);
    // A kind change moves a default URL to the new kind's default; a custom one stays.
    const anthropic = await updateLlmProvider(admin(), created.id, { kind: "anthropic", apiKey: null });
    expect(anthropic).toMatchObject({ kind: "anthropic", baseUrl: "https://api.anthropic.com/v1", hasApiKey: false });
    expect((await row(created.id)).credentialCiphertext).toBeNull();
    const custom = await updateLlmProvider(admin(), created.id, { baseUrl: "http://vllm.internal:8000/v1/", kind: "openai" });
    expect(custom.baseUrl).toBe("http://vllm.internal:8000/v1");

    const trail = await db.select().from(auditLog).where(eq(auditLog.targetId, created.id));
    expect(trail.map((a) => a.action).sort()).toEqual(["llm_provider.create", ...Array(5).fill("llm_provider.update")]);
    expect(trail.map((a) => (a.details as { apiKey?: string }).apiKey).filter(Boolean).sort()).toEqual(["removed", "replaced", "unchanged", "unchanged", "unchanged"]);
    await deleteLlmProvider(admin(), created.id);
    expect((await db.select().from(auditLog).where(eq(auditLog.targetId, created.id))).some((a) => a.action === "llm_provider.delete")).toBe(true);
    const everything = await auditText();
    expect(everything).not.toContain(key);
    expect(everything).not.toContain(newKey);
    await expect(getLlmProvider(admin(), created.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getLlmProvider(admin(), "x")).rejects.toBeInstanceOf(NotFoundError);
    await expect(updateLlmProvider(admin(), crypto.randomUUID(), { name: "x" })).rejects.toBeInstanceOf(NotFoundError);
  });

  it("refuses bad input with field names and taken slugs", async () => {
    const before = (await db.select().from(llmProviders)).length;
    const ok = { slug: `ok-${uniq()}`, name: "P", kind: "openai" };
    const bad: [Record<string, unknown>, string][] = [
      [{ ...ok, slug: "Open_AI" }, "slug"],
      [{ ...ok, slug: "x" }, "slug"],
      [{ ...ok, kind: "gemini" }, "kind"],
      [{ ...ok, baseUrl: "ftp://x.example.com/v1" }, "baseUrl"],
      [{ ...ok, baseUrl: "https://user:pw@x.example.com/v1" }, "baseUrl"],
      [{ ...ok, baseUrl: "https://x.example.com/v1?key=1" }, "baseUrl"],
      [{ ...ok, apiKey: "" }, "apiKey"],
      [{ ...ok, cacheTtlSeconds: 604_801 }, "cacheTtlSeconds"],
      [{ ...ok, cacheTtlSeconds: -1 }, "cacheTtlSeconds"],
      [{ ...ok, logBodies: "yes" }, "logBodies"],
      [{ ...ok, name: "" }, "name"],
      [{ ...ok, extra: 1 }, "(root)"],
    ];
    for (const [body, field] of bad) {
      const error = await createLlmProvider(admin(), body).catch((e: unknown) => e);
      expect(error, JSON.stringify(body)).toBeInstanceOf(ZodError);
      expect(Object.keys(toProblem(error).body.error.fields ?? {}), JSON.stringify(body)).toContain(field);
    }
    const first = await createLlmProvider(admin(), ok);
    await expect(createLlmProvider(admin(), { ...ok, name: "again" })).rejects.toBeInstanceOf(ConflictError);
    const second = await createLlmProvider(admin(), { ...ok, slug: `two-${uniq()}` });
    await expect(updateLlmProvider(admin(), second.id, { slug: first.slug })).rejects.toBeInstanceOf(ConflictError);
    expect((await db.select().from(llmProviders)).length).toBe(before + 2);
  });

  it("lets admins manage, approvers and security read, and nobody else", async () => {
    const security = await makeUser(db, "security");
    const approver = await makeUser(db, "approver");
    const member = await makeUser(db, "member");
    const body = { slug: `p-${uniq()}`, name: "P", kind: "anthropic" };
    await expect(createLlmProvider({ db, actor: security }, body)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(listLlmProviders({ db, actor: member })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(listLlmPrices({ db, actor: member })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(putLlmPrices({ db, actor: security }, { prices: DEFAULT_PRICES })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(resetLlmPrices({ db, actor: approver })).rejects.toBeInstanceOf(ForbiddenError);
    const created = await createLlmProvider(admin(), body);
    await expect(updateLlmProvider({ db, actor: approver }, created.id, { name: "x" })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(deleteLlmProvider({ db, actor: security }, created.id)).rejects.toBeInstanceOf(ForbiddenError);
    expect((await listLlmProviders({ db, actor: approver })).some((p) => p.id === created.id)).toBe(true);
    expect((await listLlmPrices({ db, actor: security })).prices.length).toBeGreaterThan(0);
  });

  it("reads the Gateway forms: an empty key field keeps the key on an edit; bad JSON says so", () => {
    const form = new FormData();
    for (const [k, v] of Object.entries({ slug: "oa", name: "OpenAI", kind: "openai", baseUrl: "", apiKey: "", cacheTtlSeconds: "60", enabled: "on" })) form.set(k, v);
    expect(providerInputFromForm(form, "update")).toEqual({ slug: "oa", name: "OpenAI", kind: "openai", baseUrl: null, cacheTtlSeconds: 60, logBodies: false, enabled: true });
    expect(providerInputFromForm(form, "create")).toMatchObject({ apiKey: null });
    form.set("apiKey", " sk-1 ");
    expect(providerInputFromForm(form, "update")).toMatchObject({ apiKey: "sk-1" });
    form.set("removeApiKey", "on");
    expect(providerInputFromForm(form, "update")).toMatchObject({ apiKey: null });
    const prices = new FormData();
    prices.set("prices", "[{");
    expect(() => pricesInputFromForm(prices)).toThrow(ValidationError);
    prices.set("prices", JSON.stringify(DEFAULT_PRICES.slice(0, 1)));
    expect(pricesInputFromForm(prices)).toEqual({ prices: DEFAULT_PRICES.slice(0, 1) });
  });

  it("lists the defaults until a table is saved, replaces the whole table in one audited change, and resets", async () => {
    await db.delete(llmPrices);
    const defaults = await listLlmPrices(admin());
    expect(defaults).toEqual({ source: "default", prices: sortPrices(DEFAULT_PRICES), updatedAt: null });
    expect(defaults.prices).toHaveLength(DEFAULT_PRICES.length);

    const table: PriceTable = [
      { provider: "openai", model: "gpt-4o*", inputPerMTok: 2.5, outputPerMTok: 10, cachedInputPerMTok: 1.25 },
      { provider: "anthropic", model: "claude-sonnet-4*", inputPerMTok: 3, outputPerMTok: 15, cachedInputPerMTok: 0.3, cacheWritePerMTok: 3.75 },
      { provider: "openai", model: "local-llama", inputPerMTok: 0, outputPerMTok: 0 },
    ];
    const saved = await putLlmPrices(admin(), { prices: table });
    expect(saved.source).toBe("custom");
    expect(saved.prices).toEqual(sortPrices(table));
    expect(saved.prices.map((p) => p.model)).toEqual(["claude-sonnet-4*", "gpt-4o*", "local-llama"]);
    expect(await listLlmPrices(admin())).toEqual(saved);

    const before = await listLlmPrices(admin());
    const broken = [
      { prices: [] },
      { prices: [table[0], table[0]] },
      { prices: [{ ...table[0], inputPerMTok: -1 }] },
      { prices: [{ ...table[0], provider: "gemini" }] },
      { prices: [{ ...table[0], model: "has space" }] },
      { prices: "nope" },
    ];
    for (const body of broken) await expect(putLlmPrices(admin(), body), JSON.stringify(body)).rejects.toBeInstanceOf(ZodError);
    expect(await listLlmPrices(admin())).toEqual(before);

    const reset = await resetLlmPrices(admin());
    expect(reset).toEqual(defaults);
    expect(await db.select().from(llmPrices)).toEqual([]);
    const audit = (await db.select().from(auditLog)).filter((a) => a.action.startsWith("llm_prices."));
    expect(audit.map((a) => a.action)).toEqual(["llm_prices.replace", "llm_prices.reset"]);
    expect(audit[0]!.details).toMatchObject({ from: "default", count: 3, added: expect.arrayContaining(["openai gpt-4o*", "openai local-llama"]) });
  });

  it("compiles enabled providers with keys sealed for the edge, reusing the previous sealed text, and the prices", async () => {
    await db.delete(llmProviders);
    await db.delete(llmPrices);
    const keyA = `sk-a-${uniq()}-SECRET`;
    const a = await createLlmProvider(admin(), { slug: "zz-openai", name: "OpenAI", kind: "openai", apiKey: keyA, cacheTtlSeconds: 300, logBodies: true });
    const b = await createLlmProvider(admin(), { slug: "aa-local", name: "Local", kind: "openai", baseUrl: "http://127.0.0.1:11434/v1" });
    await createLlmProvider(admin(), { slug: "mm-off", name: "Off", kind: "anthropic", apiKey: "sk-off", enabled: false });

    const llm = await compileLlm(db, { edgeSecrets: secrets });
    expect(() => BundleLlm.parse(llm)).not.toThrow();
    expect(llm.providers.map((p) => p.slug)).toEqual(["aa-local", "zz-openai"]);
    expect(llm.prices).toEqual(sortPrices(DEFAULT_PRICES));
    const sealedA = llm.providers.find((p) => p.id === a.id)!;
    expect(sealedA).toMatchObject({ id: a.id, kind: "openai", baseUrl: "https://api.openai.com/v1", cacheTtlSeconds: 300, logBodies: true });
    expect(llm.providers.find((p) => p.id === b.id)).toEqual({ id: b.id, slug: "aa-local", name: "Local", kind: "openai", baseUrl: "http://127.0.0.1:11434/v1", credential: null, cacheTtlSeconds: 0, logBodies: false });
    expect(JSON.stringify(llm)).not.toContain(keyA);
    expect(await openAtEdge(sealedA.credential!, secrets, llmCredentialAad(a.id))).toBe(JSON.stringify({ apiKey: keyA }));
    // Bound to this provider and to provider keys: neither a server's AAD nor another provider's opens it.
    await expect(openAtEdge(sealedA.credential!, secrets, edgeCredentialAad(a.id))).rejects.toThrow();
    await expect(openAtEdge(sealedA.credential!, secrets, llmCredentialAad(b.id))).rejects.toThrow();
    expect(llmCredentialAad(a.id)).not.toBe(edgeCredentialAad(a.id));

    // Unchanged key: the previous sealed text is reused, so equal content compiles equal.
    const again = await compileLlm(db, { edgeSecrets: secrets, previous: llm });
    expect(again).toEqual(llm);
    // Without a previous bundle, sealing draws a fresh IV.
    expect((await compileLlm(db, { edgeSecrets: secrets })).providers.find((p) => p.id === a.id)!.credential).not.toEqual(sealedA.credential);
    // A changed key, or a rotated edge secret, is sealed afresh.
    const keyB = `sk-b-${uniq()}-SECRET`;
    await updateLlmProvider(admin(), a.id, { apiKey: keyB });
    const rekeyed = await compileLlm(db, { edgeSecrets: secrets, previous: llm });
    const sealedB = rekeyed.providers.find((p) => p.id === a.id)!.credential!;
    expect(sealedB).not.toEqual(sealedA.credential);
    expect(await openAtEdge(sealedB, secrets, llmCredentialAad(a.id))).toBe(JSON.stringify({ apiKey: keyB }));
    const rotated = [...(await parseEdgeSecrets(generateEdgeSecret())), ...secrets];
    const resealed = await compileLlm(db, { edgeSecrets: rotated, previous: rekeyed });
    expect(resealed.providers.find((p) => p.id === a.id)!.credential!.kid).toBe(rotated[0]!.kid);

    // Saved prices go in as saved.
    await putLlmPrices(admin(), { prices: DEFAULT_PRICES.slice(0, 2) });
    expect((await compileLlm(db, { edgeSecrets: secrets })).prices).toEqual(sortPrices(DEFAULT_PRICES.slice(0, 2)));

    // A key that cannot be opened any more leaves its provider out, reported, never quoted.
    await db.update(llmProviders).set({ credentialCiphertext: "v1.test1.AAAA.BBBB" }).where(eq(llmProviders.id, a.id));
    const skipped: { slug: string; reason: string }[] = [];
    const partial = await compileLlm(db, { edgeSecrets: secrets, onSkip: (s) => skipped.push(s) });
    expect(partial.providers.map((p) => p.slug)).toEqual(["aa-local"]);
    expect(skipped).toEqual([{ id: a.id, slug: "zz-openai", reason: "its stored API key could not be opened" }]);
    expect(await auditText()).not.toContain(keyB);
  });
});
