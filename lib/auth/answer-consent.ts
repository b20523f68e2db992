import { eq } from "drizzle-orm";
import { z } from "zod";
import { memberships } from "@/db/schema";
import { authorize } from "./actor";
import { recordAudit } from "@/lib/audit/record-audit";
import { signStatement } from "@core/bundle/sign";
import { CONSENT_STATEMENT } from "@core/edge/consent";
import type { Ctx } from "@/lib/context";
import { ForbiddenError, ValidationError } from "@/lib/errors";
import { loadEdgeKeys, portalPublicUrl, portalUrls } from "@/lib/config/edge-keys";

/** Long enough for a redirect, short enough that a leaked URL is useless soon after. */
const STATEMENT_TTL_SECONDS = 120;

export const ConsentInput = z
  .object({
    state: z.string().min(16, "is not a portal sign-in request").max(512).regex(/^[A-Za-z0-9._~-]+$/, "is not a portal sign-in request"),
    returnTo: z.url({ protocol: /^https?$/ }).max(2000),
    /** What the consent page showed, signed so the portal can check it showed the real request. */
    client: z.string().max(200).optional(),
    redirect: z.string().max(200).optional(),
    decision: z.enum(["allow", "deny"]),
  })
  .strict();

/**
 * Where the portal may send its users back: the callback of a configured portal, nowhere else. A
 * consent statement is a credential for a moment; it must never be handed to another origin (an
 * attacker's link could otherwise collect statements for its own browser's pending request).
 */
export function portalCallbackOrigins(env: Record<string, string | undefined> = process.env): string[] {
  return [...new Set([...portalUrls(env), portalPublicUrl(env)].map((u) => new URL(u).origin))];
}

export function checkReturnTo(returnTo: string, env: Record<string, string | undefined> = process.env): URL {
  const url = new URL(returnTo);
  if (!portalCallbackOrigins(env).includes(url.origin) || url.pathname !== "/oauth/callback" || url.search || url.hash) {
    throw new ValidationError("This sign-in request does not come from a portal this console publishes to", { returnTo: "is not a configured portal" });
  }
  return url;
}

/**
 * The signed-in person answers an MCP client's OAuth request that the portal sent here. Allow: a
 * short-lived statement, signed with the bundle key the portal already trusts, saying who approved
 * (user id, e-mail, teams) for which pending request (`state`) and which portal (`aud`), and what the
 * page showed (client name, destination host), which the portal compares with the request. Deny: the
 * portal is told, and tells the client `access_denied`. Both are audited.
 */
export async function answerConsent({ db, actor }: Ctx, rawInput: unknown): Promise<{ redirectTo: string }> {
  authorize(actor, "portal.use");
  if (actor.kind !== "user") throw new ForbiddenError("Only a signed-in person can connect an MCP client");
  const input = ConsentInput.parse(rawInput);
  const target = checkReturnTo(input.returnTo);
  target.searchParams.set("state", input.state);

  if (input.decision === "allow") {
    const rows = await db.select({ teamId: memberships.teamId }).from(memberships).where(eq(memberships.userId, actor.userId));
    const keys = await loadEdgeKeys();
    const assertion = await signStatement(
      {
        typ: CONSENT_STATEMENT,
        exp: Math.floor(Date.now() / 1000) + STATEMENT_TTL_SECONDS,
        aud: target.origin,
        state: input.state,
        userId: actor.userId,
        email: actor.email,
        teamIds: rows.map((r) => r.teamId).sort(),
        client: input.client ?? "",
        redirectHost: input.redirect ?? "",
      },
      keys.signing.privateKeyJwk,
      keys.signing.keyId,
    );
    target.searchParams.set("assertion", assertion);
  } else {
    target.searchParams.set("error", "access_denied");
  }
  await db.transaction((tx) =>
    recordAudit(tx, actor, {
      action: input.decision === "allow" ? "portal.client_authorized" : "portal.client_denied",
      targetType: "oauth_client",
      targetId: null,
      details: { client: input.client ?? null, redirect: input.redirect ?? null, portal: target.origin },
    }),
  );
  return { redirectTo: target.toString() };
}
