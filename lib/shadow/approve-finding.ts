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
  if (f.kind !== "remote" || !f.url) throw new ValidationError("Only remote servers can be registered in the portal; a local (stdio) server has no URL to register");
  const finding = note ? await updateFinding(ctx, id, { note }) : await getFinding(ctx, id);
  return { finding, requestUrl: registrationRequestUrl(f) };
}

function registrationRequestUrl(f: Pick<ShadowFinding, "id" | "url" | "host" | "names" | "userCount" | "vendor">): string {
  const host = f.host ?? "server";
  const name = f.names[0] ?? (f.vendor ? `${f.vendor}` : host);
  const slug = (f.vendor ?? host.replace(/^mcp\./, "").split(".")[0] ?? "server").toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "server";
  const params = new URLSearchParams({
    name,
    slug,
    url: f.url ?? "",
    justification: `Adopted from shadow MCP finding ${f.id}: already used by ${f.userCount} ${f.userCount === 1 ? "person" : "people"} outside the portal.`,
    finding: f.id,
  });
  return `/servers/new?${params.toString()}`;
}
