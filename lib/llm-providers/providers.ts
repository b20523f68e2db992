import { randomUUID } from "node:crypto";
import { asc, eq } from "drizzle-orm";
import { llmProviders, type LlmProviderRow } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { toIso } from "@core/zod/helpers";
import { authorize } from "@/lib/auth/actor";
import { recordAudit } from "@/lib/audit/record-audit";
import type { Ctx } from "@/lib/context";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { requireId } from "@/lib/ids";
import { open, seal } from "@/lib/secret-box";
import { DEFAULT_BASE_URLS, ProviderInput, UpdateProviderInput, type ProviderOutput } from "./schemas";

/**
 * LLM providers: list, read, create, edit, delete. The API key is encrypted at rest with the
 * console's key ring (lib/secret-box.ts, the provider id as AAD, like server credentials)
 * and leaves the console only sealed for the edge (./compile-llm.ts). Audit rows say whether a key
 * is set and whether it changed — never the key.
 */

const atRestAad = (providerId: string) => `llm-provider:${providerId}:credential`;

function sealApiKey(providerId: string, apiKey: string): { credentialCiphertext: string; credentialKeyId: string } {
  const { envelope, keyId } = seal(JSON.stringify({ apiKey }), atRestAad(providerId));
  return { credentialCiphertext: envelope, credentialKeyId: keyId };
}

/** The stored API key in clear, or null when none is set. Throws when it cannot be opened (key ring changed). */
export function openApiKey(row: Pick<LlmProviderRow, "id" | "credentialCiphertext">): string | null {
  if (!row.credentialCiphertext) return null;
  const { apiKey } = JSON.parse(open(row.credentialCiphertext, atRestAad(row.id))) as { apiKey: string };
  return apiKey;
}

export const gatewayPath = (slug: string) => `/llm/${slug}/v1`;

function toOutput(row: LlmProviderRow): ProviderOutput {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    kind: row.kind,
    baseUrl: row.baseUrl,
    hasApiKey: row.credentialCiphertext !== null,
    cacheTtlSeconds: row.cacheTtlSeconds,
    logBodies: row.logBodies,
    enabled: row.enabled,
    gatewayPath: gatewayPath(row.slug),
    createdAt: toIso(row.createdAt),
    updatedAt: toIso(row.updatedAt),
  };
}

/** What audit details may say about a provider: everything but the key. */
function auditView(out: ProviderOutput) {
  const { id: _id, createdAt: _c, updatedAt: _u, gatewayPath: _g, ...rest } = out;
  return rest;
}

async function loadRow(db: Queryable, id: string): Promise<LlmProviderRow> {
  requireId(id, "LLM provider");
  const [row] = await db.select().from(llmProviders).where(eq(llmProviders.id, id));
  if (!row) throw new NotFoundError("No such LLM provider");
  return row;
}

async function slugTaken(db: Queryable, slug: string, except?: string): Promise<boolean> {
  const [row] = await db.select({ id: llmProviders.id }).from(llmProviders).where(eq(llmProviders.slug, slug));
  return !!row && row.id !== except;
}

export async function listLlmProviders({ db, actor }: Ctx): Promise<ProviderOutput[]> {
  authorize(actor, "gateway.read");
  const rows = await db.select().from(llmProviders).orderBy(asc(llmProviders.slug));
  return rows.map(toOutput);
}

export async function getLlmProvider({ db, actor }: Ctx, id: string): Promise<ProviderOutput> {
  authorize(actor, "gateway.read");
  return toOutput(await loadRow(db, id));
}

export async function createLlmProvider({ db, actor }: Ctx, rawInput: unknown): Promise<ProviderOutput> {
  authorize(actor, "gateway.manage");
  const input = ProviderInput.parse(rawInput);
  // The id is the key's AAD, so it is chosen before the row exists.
  const id = randomUUID();
  return db.transaction(async (tx) => {
    if (await slugTaken(tx, input.slug)) throw new ConflictError(`An LLM provider with slug "${input.slug}" already exists`);
    const [row] = await tx
      .insert(llmProviders)
      .values({
        id,
        slug: input.slug,
        name: input.name,
        kind: input.kind,
        baseUrl: input.baseUrl ?? DEFAULT_BASE_URLS[input.kind],
        ...(input.apiKey ? sealApiKey(id, input.apiKey) : { credentialCiphertext: null, credentialKeyId: null }),
        cacheTtlSeconds: input.cacheTtlSeconds,
        logBodies: input.logBodies,
        enabled: input.enabled,
      })
      .returning();
    const out = toOutput(row!);
    await recordAudit(tx, actor, { action: "llm_provider.create", targetType: "llm_provider", targetId: id, details: { provider: auditView(out) } });
    return out;
  });
}

export async function updateLlmProvider({ db, actor }: Ctx, id: string, rawInput: unknown): Promise<ProviderOutput> {
  authorize(actor, "gateway.manage");
  const patch = UpdateProviderInput.parse(rawInput);
  return db.transaction(async (tx) => {
    const beforeRow = await loadRow(tx, id);
    const before = toOutput(beforeRow);
    const slug = patch.slug ?? before.slug;
    if (slug !== before.slug && (await slugTaken(tx, slug, id))) throw new ConflictError(`An LLM provider with slug "${slug}" already exists`);
    const kind = patch.kind ?? before.kind;
    // A changed kind with the old kind's default URL moves to the new kind's default; a custom URL stays.
    const baseUrl =
      patch.baseUrl !== undefined && patch.baseUrl !== null
        ? patch.baseUrl
        : patch.baseUrl === null || before.baseUrl === DEFAULT_BASE_URLS[before.kind]
          ? DEFAULT_BASE_URLS[kind]
          : before.baseUrl;
    const key =
      patch.apiKey === undefined
        ? {}
        : patch.apiKey === null
          ? { credentialCiphertext: null, credentialKeyId: null }
          : sealApiKey(id, patch.apiKey);
    const [row] = await tx
      .update(llmProviders)
      .set({
        slug,
        name: patch.name ?? before.name,
        kind,
        baseUrl,
        ...key,
        cacheTtlSeconds: patch.cacheTtlSeconds ?? before.cacheTtlSeconds,
        logBodies: patch.logBodies ?? before.logBodies,
        enabled: patch.enabled ?? before.enabled,
        updatedAt: new Date(),
      })
      .where(eq(llmProviders.id, id))
      .returning();
    const out = toOutput(row!);
    const apiKey = patch.apiKey === undefined ? "unchanged" : patch.apiKey === null ? (before.hasApiKey ? "removed" : "unchanged") : before.hasApiKey ? "replaced" : "set";
    await recordAudit(tx, actor, { action: "llm_provider.update", targetType: "llm_provider", targetId: id, details: { before: auditView(before), after: auditView(out), apiKey } });
    return out;
  });
}

export async function deleteLlmProvider({ db, actor }: Ctx, id: string): Promise<ProviderOutput> {
  authorize(actor, "gateway.manage");
  return db.transaction(async (tx) => {
    const before = toOutput(await loadRow(tx, id));
    await tx.delete(llmProviders).where(eq(llmProviders.id, id));
    await recordAudit(tx, actor, { action: "llm_provider.delete", targetType: "llm_provider", targetId: id, details: { provider: auditView(before) } });
    return before;
  });
}
