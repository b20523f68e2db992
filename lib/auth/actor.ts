import { ForbiddenError } from "../errors";
import { PERMISSIONS, roleAllows, TOKEN_SCOPES, type Permission, type Role, type TokenScope } from "@core/auth/roles";

/** Who is acting: a signed-in person, an API token (acting for its user), or the bootstrap admin token. */
export type Actor =
  | { kind: "user"; userId: string; email: string; role: Role; scopes: readonly TokenScope[] }
  | { kind: "token"; userId: string; email: string; role: Role; scopes: readonly TokenScope[]; tokenId: string; tokenPrefix: string }
  | { kind: "bootstrap"; userId: null; email: null; role: "admin"; scopes: readonly TokenScope[] }
  | { kind: "system"; userId: null; email: null; role: "admin"; scopes: readonly TokenScope[]; label: string };

export const BOOTSTRAP_ACTOR: Actor = { kind: "bootstrap", userId: null, email: null, role: "admin", scopes: TOKEN_SCOPES };

/** The console itself acting on its own (scheduled work, reports from the edge), labelled in the audit trail. */
export function systemActor(label: string): Actor {
  return { kind: "system", userId: null, email: null, role: "admin", scopes: TOKEN_SCOPES, label };
}

/** The console itself, for scheduled work such as periodic re-sync. */
export const SCHEDULER_ACTOR = systemActor("portcullis (scheduled sync)");

export function actorLabel(actor: Actor): string {
  if (actor.kind === "bootstrap") return "bootstrap-token";
  if (actor.kind === "system") return actor.label;
  if (actor.kind === "token") return `${actor.email} (token ${actor.tokenPrefix}…)`;
  return actor.email;
}

export function can(actor: Actor, permission: Permission): boolean {
  return roleAllows(actor.role, permission) && actor.scopes.includes(PERMISSIONS[permission].scope);
}

/** First line of every verb. */
export function authorize(actor: Actor, permission: Permission): void {
  if (!can(actor, permission)) {
    const spec = PERMISSIONS[permission];
    if (!roleAllows(actor.role, permission)) {
      throw new ForbiddenError(`Your role (${actor.role}) may not do this; it needs one of: ${spec.roles.join(", ")}`);
    }
    throw new ForbiddenError(`This API token lacks the "${spec.scope}" scope`);
  }
}
