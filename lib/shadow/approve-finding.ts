import type { ShadowFinding } from "@/db/schema";
import { authorize } from "@/lib/auth/actor";
import type { Ctx } from "@/lib/context";
import { ValidationError } from "@/lib/errors";
import { getFinding, loadFinding } from "./queries";
import type { FindingDetailOutput } from "./schemas";
import { updateFinding } from "./update-finding";

/**
 * Approve: answers where the finding's registration request is prefilled (name, URL, a justification
 * citing the finding). The finding itself stays as it is until that request is saved: a registration
 * that fails (the host does not answer MCP, the slug is taken) must not close it. Registering from
 * the request links the server and resolves the finding as approved (`linkFindingToServer`); the
 * server goes through the registry's review like any other request.
 */
export async function approveFinding(ctx: Ctx, id: string, note?: string): Promise<{ finding: FindingDetailOutput; requestUrl: string }> {
  authorize(ctx.actor, "shadow.triage");
  const f = await loadFinding(ctx.db, id);
  if (f.kind !== "remote" || !f.url) throw new ValidationError("Only remote servers can be registered as they are; a local (stdio) server is adopted by running it behind the portal (its Adopt commands: GET /api/v1/shadow/findings/{id}/adoption)");
  const finding = note ? await updateFinding(ctx, id, { note }) : await getFinding(ctx, id);
  return { finding, requestUrl: registrationRequestUrl(findingPrefill(f)) };
}

/** The server the Request form opens with: a finding, or a block-list entry's URL. */
export interface RequestPrefill {
  url: string;
  host: string | null;
  names: readonly string[];
  vendor: string | null;
  justification: string;
  /** Registering it links (and, for a triager, resolves) this finding. */
  findingId?: string | null;
  /** Given when known (an adopted stdio server's); else made from the vendor or host. */
  slug?: string;
  description?: string;
}

/** The console path of the Request a server form, filled in (the finding's Adopt, a block notice's "request this server"). */
export function registrationRequestUrl(p: RequestPrefill): string {
  const host = p.host ?? "server";
  const name = p.names[0] ?? (p.vendor ? `${p.vendor}` : host);
  const made = (p.vendor ?? host.replace(/^mcp\./, "").split(".")[0] ?? "server").toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "server";
  const slug = p.slug ?? made;
  const params = new URLSearchParams({ name, slug, url: p.url, ...(p.description ? { description: p.description } : {}), justification: p.justification, ...(p.findingId ? { finding: p.findingId } : {}) });
  return `/servers/new?${params.toString()}`;
}

export function findingPrefill(f: Pick<ShadowFinding, "id" | "url" | "host" | "names" | "userCount" | "vendor">): RequestPrefill {
  return {
    url: f.url ?? "",
    host: f.host,
    names: f.names,
    vendor: f.vendor,
    justification: `Adopted from shadow MCP finding ${f.id}: already used by ${f.userCount} ${f.userCount === 1 ? "person" : "people"} outside the portal.`,
    findingId: f.id,
  };
}
