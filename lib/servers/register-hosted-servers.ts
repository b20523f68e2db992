import { and, eq, isNull, or } from "drizzle-orm";
import { z } from "zod";
import { servers, users } from "@/db/schema";
import { systemActor, type Actor } from "@/lib/auth/actor";
import type { Database } from "@/db/client";
import { roleAllows } from "@core/auth/roles";
import { Slug } from "@core/zod/helpers";
import { registerServer } from "./register-server";
import type { Discover } from "./upstream";

/** One server `npm start` runs in the local workerd (scripts/lib/hosted-runner.mjs writes these). */
export const HostedServerEntry = z.strictObject({
  name: Slug,
  dir: z.string().min(1).max(4096),
  url: z.url({ protocol: /^https?$/ }),
  description: z.string().max(2000).optional(),
  /** Who scaffolded it (package.json `portcullis.owner`): the request is theirs when they are a member or above. */
  owner: z.email().optional(),
});
export type HostedServerEntry = z.infer<typeof HostedServerEntry>;

export type HostedRegistration = { name: string; outcome: "registered" | "known" } | { name: string; outcome: "failed"; error: string };

const HOSTED_ACTOR = systemActor("npm start (hosted servers)");

/** The owner as the requester when they may request servers; else the console itself. */
async function requesterOf(db: Database, owner: string | undefined): Promise<Actor> {
  if (!owner) return HOSTED_ACTOR;
  const [u] = await db.select().from(users).where(and(eq(users.email, owner.toLowerCase()), isNull(users.disabledAt)));
  if (!u || !roleAllows(u.role, "servers.request")) return HOSTED_ACTOR;
  return { kind: "user", userId: u.id, email: u.email, role: u.role, scopes: ["read", "write"] };
}

/**
 * Registers the servers `npm start` runs from PORTCULLIS_HOSTED_DIR that the registry does not have
 * yet (by folder or URL), each as an ordinary request: discovered with the console's proof, scanned,
 * pending review with every tool off — nothing of review, pinning or scanning is skipped; it is
 * only marked hosted. Requested by its owner when they are a member or above, else by the console.
 * One server's failure (it does not answer, its slug is taken) does not stop the others.
 */
export async function registerHostedServers(db: Database, rawEntries: unknown, discover?: Discover): Promise<HostedRegistration[]> {
  const entries = z.array(HostedServerEntry).max(100).parse(rawEntries);
  const out: HostedRegistration[] = [];
  for (const entry of entries) {
    const [known] = await db.select({ id: servers.id }).from(servers).where(or(eq(servers.hostedDir, entry.dir), eq(servers.url, entry.url)));
    if (known) {
      out.push({ name: entry.name, outcome: "known" });
      continue;
    }
    try {
      const actor = await requesterOf(db, entry.owner);
      const input = {
        name: entry.name,
        slug: entry.name,
        url: entry.url,
        ...(entry.description ? { description: entry.description } : {}),
        justification: `Hosted server scaffolded with npx portcullis new-server (${entry.dir}), run by npm start in the local workerd next to the portal`,
      };
      await registerServer({ db, actor }, input, discover, { dir: entry.dir });
      out.push({ name: entry.name, outcome: "registered" });
    } catch (error) {
      out.push({ name: entry.name, outcome: "failed", error: error instanceof Error ? error.message : String(error) });
    }
  }
  return out;
}
