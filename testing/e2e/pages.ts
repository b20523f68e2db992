/**
 * Every console page and who may open it. app/authz-matrix.test.ts fails when a page exists under
 * app/ that is not listed here; e2e/console/page-access.spec.ts opens each one as each kind of caller.
 * (`/settings` only redirects to `/settings/tokens`; pages with a [segment] are opened by the specs that create their data.)
 */
export const PAGES: Record<string, "everyone" | "security+admin" | "requesters" | "reviewers" | "policy-readers" | "gateway-readers" | "public"> = {
  "/sign-in": "public",
  // The portal's OAuth consent page: anyone may open it; it sends anonymous callers to sign in first.
  "/oauth/consent": "public",
  "/": "everyone",
  // Everyone: their own portal calls and their led teams'; security and admins every call and the console changes (audit.read).
  "/audit": "everyone",
  "/settings": "everyone",
  "/settings/tokens": "everyone",
  "/settings/users": "security+admin",
  "/settings/teams": "everyone",
  "/settings/roles": "everyone",
  // Security and admins (shadow.triage): Cloudflare Logpush jobs that feed shadow MCP detection.
  "/settings/logpush": "security+admin",
  // Security and admins (forwarding.read): the sinks events and alerts are forwarded to.
  "/settings/forwarding": "security+admin",
  "/servers": "everyone",
  "/servers/new": "requesters",
  "/servers/[id]": "everyone",
  "/servers/[id]/review": "reviewers",
  "/servers/[id]/diff": "everyone",
  "/portal": "everyone",
  // Approvers, security and admins (policies.read).
  "/policies": "policy-readers",
  // Budgets (and their spend) for everyone; the Rate limits section only for limits.read.
  "/budgets": "everyone",
  // Approvers, security and admins (gateway.read): LLM providers and prices.
  "/gateway": "gateway-readers",
  // Everyone: their own usage; security and admins see everyone's (usage.read-all).
  "/usage": "everyone",
  // Security and admins (shadow.read): findings, uploads, block list and its exports.
  "/shadow": "security+admin",
  "/shadow/[id]": "security+admin",
  // Adopting a laptop's stdio server (shadow.triage): the bridge command and the prefilled registration.
  "/shadow/[id]/adopt": "security+admin",
  // A block-list entry: its rollout, who it would cut off, notifying them.
  "/shadow/blocks/[id]": "security+admin",
};
