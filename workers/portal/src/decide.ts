/**
 * The decisions both MCP paths make with the same words: the session path (src/session/) and the
 * stateless per-call path (src/stateless/). A decision throws a {@link Denied} whose message is what
 * the caller sees and whose reason is what the audit event records.
 */
import { blockingEntry, serverAccess, toolAccess, type BundleIndex, type Caller, type ToolAccess } from "@core/bundle/bundle-index";
import type { PolicyDecision } from "@core/policy/evaluate";
import type { BundleServer } from "@core/bundle/schema";
import { blockedError, Denied, named, PortalErrorCode } from "./session/errors";

export type AllowedTool = Extract<ToolAccess, { ok: true }> & { server: BundleServer };

/** "Not available": one answer for unknown, unapproved and not-allowed tools, so a caller learns nothing of tools it may not use. */
export function toolNotAvailable(requested: string, reason: string, ruleId: string | null = null): Denied {
  return new Denied(PortalErrorCode.NotAvailable, `Tool "${named(requested)}" is not available: it is unknown, not approved, or not allowed for you`, reason, ruleId);
}

/**
 * May the caller call `tool` of `server` (undefined: the requested name named no published
 * server)? Block list, approval, role and credential scope, then the policy. The pin is checked
 * after, against the live definition.
 */
export function decideToolCall(index: BundleIndex, caller: Caller, server: BundleServer | undefined, tool: string, requested: string): AllowedTool {
  if (!server) throw toolNotAvailable(requested, "UNKNOWN_TOOL");
  const access = toolAccess(index, caller, server, tool);
  if (access.ok) return { ...access, server };
  if (access.code === "SERVER_BLOCKED") throw blockedError(server, access.reason);
  if (access.code === "MISSING_SCOPE") {
    throw new Denied(PortalErrorCode.NotAvailable, `Tool "${named(requested)}" can change things, and this credential has only the read scope: use a token with the write scope`, access.reason);
  }
  throw toolNotAvailable(requested, access.code === "POLICY_DENIED" ? `POLICY_DENIED: ${access.reason}` : "TOOL_NOT_APPROVED", access.decision?.ruleId ?? null);
}

/** The live definition of an allowed tool no longer hashes to its pin: refused until it is reviewed again. */
export function quarantined(requested: string, liveHash: string): Denied {
  return new Denied(PortalErrorCode.Quarantined, `Tool "${named(requested)}" changed upstream since it was approved; it is quarantined until it is reviewed again`, `TOOL_HASH_MISMATCH: live definition hashes to ${liveHash}`);
}

/**
 * Server-level access (prompts, resources, completion): the server must be published (undefined:
 * the name or URI named none), not blocked, and a whole-server rule must allow the caller.
 */
export function decideServerLevel(index: BundleIndex, caller: Caller, server: BundleServer | undefined): { server: BundleServer; decision: PolicyDecision } {
  if (!server) throw new Denied(PortalErrorCode.NotAvailable, "Resource not available: it is unknown or not allowed for you", "UNKNOWN_RESOURCE");
  const decision = serverAccess(index, caller, server);
  if (blockingEntry(index, server.slug, caller.at?.getTime())) throw blockedError(server, decision.reason);
  if (decision.effect === "deny") throw new Denied(PortalErrorCode.NotAvailable, "Not available: unknown or not allowed for you", `POLICY_DENIED: ${decision.reason}`, decision.ruleId);
  return { server, decision };
}
