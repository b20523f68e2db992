import { eq } from "drizzle-orm";
import { servers, serverTools, teams } from "@/db/schema";
import { authorize } from "../auth/actor";
import { ConflictError, NotFoundError } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { blockFor } from "@/lib/shadow/blocks";
import { linkFindingToServer } from "@/lib/shadow/link-finding-to-server";
import type { Ctx } from "../context";
import { authSummary, sealCredential } from "./credentials";
import { loadServerOutput } from "./queries";
import { recordServerEvent } from "./record-event";
import { RegisterServerInput, type ServerOutput } from "./schemas";
import { analyzeDiscovery } from "./snapshot";
import { storeSnapshot } from "./store-snapshot";
import { guardedDiscover, type Discover } from "./upstream";
import { loadAuthorizedFlow, markFlowUsed } from "./upstream-oauth-flow";
import type { UpstreamAuth } from "./discover";

/**
 * A member asks for a server: discovery runs first (nothing is saved for a URL that does not
 * answer MCP), then the server, its credential (encrypted), its first snapshot and its tools are
 * written together, pending review. Every tool starts disabled: only an approval enables tools.
 * A request adopted from a shadow-MCP finding resolves that finding in the same transaction.
 */
export async function registerServer({ db, actor }: Ctx, rawInput: unknown, discover: Discover = guardedDiscover, hosted?: { dir: string }): Promise<ServerOutput> {
  authorize(actor, "servers.request");
  const input = RegisterServerInput.parse(rawInput);
  const blocked = await blockFor(db, input.url);
  if (blocked) throw new ConflictError(`${input.url} is on the shadow-MCP block list (${blocked.reason}); ask your security team`);
  const [taken] = await db.select({ id: servers.id }).from(servers).where(eq(servers.slug, input.slug));
  if (taken) throw new ConflictError(`A server with slug "${input.slug}" already exists`);
  if (input.ownerTeamId) {
    const [team] = await db.select({ id: teams.id }).from(teams).where(eq(teams.id, input.ownerTeamId));
    if (!team) throw new NotFoundError("No such team");
  }

  const oauth = input.auth.type === "oauth_authorization_code" ? await loadAuthorizedFlow(db, input.auth.flowId, actor.userId, input.url) : undefined;
  const discovered = await discover({ url: input.url, auth: oauth ? { type: "oauth_authorization_code", provider: oauth } : (input.auth as UpstreamAuth) });
  const blockedEndpoint = await blockFor(db, discovered.endpointUrl);
  if (blockedEndpoint) throw new ConflictError(`${discovered.endpointUrl} is on the shadow-MCP block list (${blockedEndpoint.reason}); ask your security team`);
  const analyzed = await analyzeDiscovery(discovered);
  const id = crypto.randomUUID();
  // For OAuth the whole client state (registration, tokens, possibly refreshed during discovery) is sealed.
  const stored = oauth ? { type: "oauth_authorization_code" as const, oauth: oauth.data } : (input.auth as Exclude<typeof input.auth, { type: "oauth_authorization_code" }>);
  const credential = sealCredential(id, stored);

  await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(servers)
      .values({
        id,
        slug: input.slug,
        name: input.name,
        url: input.url,
        description: input.description ?? null,
        justification: input.justification,
        ownerTeamId: input.ownerTeamId ?? null,
        requestedBy: actor.userId,
        status: "pending_review",
        transport: discovered.transport,
        endpointUrl: discovered.endpointUrl,
        authType: input.auth.type,
        credentialCiphertext: credential.ciphertext,
        credentialKeyId: credential.keyId,
        authSummary: authSummary(stored),
        lastSyncedAt: new Date(),
        // Not in the public input: only npm start's hosted servers (register-hosted-servers.ts) are marked so.
        hostedDir: hosted?.dir ?? null,
      })
      .onConflictDoNothing()
      .returning({ id: servers.id });
    if (!row) throw new ConflictError(`A server with slug "${input.slug}" already exists`);
    const snapshotId = await storeSnapshot(tx, id, discovered, analyzed);
    await tx.update(servers).set({ currentSnapshotId: snapshotId }).where(eq(servers.id, id));
    if (analyzed.tools.length) {
      await tx.insert(serverTools).values(
        analyzed.tools.map((t) => ({
          serverId: id,
          name: t.name,
          state: "disabled" as const,
          definition: t.definition as unknown as Record<string, unknown>,
          hash: t.hash,
          findings: t.findings as unknown as Record<string, unknown>[],
          tokensJson: t.tokensJson,
          tokensTypescript: t.tokensTypescript,
        })),
      );
    }
    if (input.auth.type === "oauth_authorization_code") await markFlowUsed(tx, input.auth.flowId);
    await recordServerEvent(tx, actor, { serverId: id, kind: "requested", reason: input.justification, snapshotId });
    await recordServerEvent(tx, actor, {
      serverId: id,
      kind: "discovered",
      snapshotId,
      details: { transport: discovered.transport, endpointUrl: discovered.endpointUrl, tools: analyzed.tools.length, prompts: discovered.prompts.length, resources: discovered.resources.length },
    });
    await recordAudit(tx, actor, { action: "server.request", targetType: "server", targetId: id, details: { slug: input.slug, url: input.url, authType: input.auth.type, ...(hosted ? { hosted: true } : {}) } });
    if (input.findingId) await linkFindingToServer(tx, actor, input.findingId, id);
  });
  return loadServerOutput(db, id);
}
