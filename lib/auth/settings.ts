import { isRole, ROLES, type Role } from "@core/auth/roles";
import type { SignInPolicy } from "../users/sign-in-user";

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Label on the sign-in button. */
  name: string;
  scopes: string;
  groupsClaim: string;
}

export interface AuthSettings {
  /** Local mode: no IdP configured; loopback-only sign-in by e-mail address. */
  mode: "local" | "oidc";
  oidc: OidcSettings | null;
  policy: SignInPolicy;
}

function bool(value: string | undefined): boolean {
  return /^(1|true|yes|on)$/i.test(value?.trim() ?? "");
}

/** `admin=portcullis-admins|it-admins,viewer=contractors` → { admin: [...], viewer: [...] } */
export function parseRoleGroups(value: string | undefined): Partial<Record<Role, string[]>> {
  const out: Partial<Record<Role, string[]>> = {};
  for (const part of (value ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf("=");
    const role = part.slice(0, eq).trim();
    if (eq < 1 || !isRole(role)) {
      throw new Error(`OIDC_ROLE_GROUPS: "${part}" must look like role=group1|group2 with role one of ${ROLES.join(", ")}`);
    }
    const groups = part.slice(eq + 1).split("|").map((g) => g.trim()).filter(Boolean);
    out[role] = [...(out[role] ?? []), ...groups];
  }
  return out;
}

/** Reads sign-in settings from the environment; throws a clear error for a half-configured IdP. */
export function readAuthSettings(env: Record<string, string | undefined> = process.env): AuthSettings {
  const defaultRole = env.PORTCULLIS_DEFAULT_ROLE?.trim() || "member";
  if (!isRole(defaultRole)) throw new Error(`PORTCULLIS_DEFAULT_ROLE must be one of ${ROLES.join(", ")}`);
  const unverifiedEmail = env.OIDC_UNVERIFIED_EMAIL?.trim().toLowerCase() || "refuse";
  if (unverifiedEmail !== "refuse" && unverifiedEmail !== "allow") throw new Error(`OIDC_UNVERIFIED_EMAIL must be "refuse" or "allow" (got "${unverifiedEmail}")`);
  const policy: SignInPolicy = {
    roleGroups: parseRoleGroups(env.OIDC_ROLE_GROUPS),
    defaultRole,
    autoCreateTeams: bool(env.OIDC_AUTO_CREATE_TEAMS),
    unverifiedEmail,
  };
  const issuer = env.OIDC_ISSUER?.trim();
  const clientId = env.OIDC_CLIENT_ID?.trim();
  const clientSecret = env.OIDC_CLIENT_SECRET?.trim();
  if (!issuer && !clientId && !clientSecret) return { mode: "local", oidc: null, policy };
  const missing = [
    ["OIDC_ISSUER", issuer],
    ["OIDC_CLIENT_ID", clientId],
    ["OIDC_CLIENT_SECRET", clientSecret],
  ]
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length) throw new Error(`Single sign-on is half configured: set ${missing.join(" and ")} too, or unset all OIDC_* variables for local mode`);
  try {
    new URL(issuer!);
  } catch {
    throw new Error("OIDC_ISSUER must be the issuer URL, e.g. https://acme.okta.com");
  }
  return {
    mode: "oidc",
    oidc: {
      issuer: issuer!,
      clientId: clientId!,
      clientSecret: clientSecret!,
      name: env.OIDC_NAME?.trim() || "Single sign-on",
      scopes: env.OIDC_SCOPES?.trim() || "openid email profile",
      groupsClaim: env.OIDC_GROUPS_CLAIM?.trim() || "groups",
    },
    policy,
  };
}
