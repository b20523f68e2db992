import { describe, expect, it } from "vitest";
import { authorize, BOOTSTRAP_ACTOR, can, type Actor } from "@/lib/auth/actor";
import { highestRole, PERMISSIONS, ROLES, roleAllows } from "./roles";
import { ForbiddenError } from "@/lib/errors";

const person = (role: Actor["role"], scopes: Actor["scopes"] = ["read", "write"]): Actor => ({ kind: "user", userId: "u", email: "a@b.c", role, scopes });

describe("roles and permissions", () => {
  it("admin holds every permission", () => {
    for (const p of Object.keys(PERMISSIONS) as (keyof typeof PERMISSIONS)[]) expect(roleAllows("admin", p)).toBe(true);
  });

  it("a viewer may read teams but not manage them, nor read users or audit", () => {
    expect(can(person("viewer"), "teams.read")).toBe(true);
    expect(can(person("viewer"), "teams.manage")).toBe(false);
    expect(can(person("viewer"), "users.read")).toBe(false);
    expect(can(person("viewer"), "audit.read")).toBe(false);
  });

  it("security reads users and audit and revokes any token, but cannot change roles", () => {
    const s = person("security");
    expect(can(s, "users.read") && can(s, "audit.read") && can(s, "tokens.revoke-any")).toBe(true);
    expect(can(s, "users.manage")).toBe(false);
  });

  it("a token without the write scope cannot write even for an admin", () => {
    const readOnlyAdmin = person("admin", ["read"]);
    expect(can(readOnlyAdmin, "users.read")).toBe(true);
    expect(can(readOnlyAdmin, "users.manage")).toBe(false);
    expect(() => authorize(readOnlyAdmin, "users.manage")).toThrow(/lacks the "write" scope/);
  });

  it("authorize names the roles that would be allowed", () => {
    expect(() => authorize(person("member"), "users.manage")).toThrow(ForbiddenError);
    expect(() => authorize(person("member"), "users.manage")).toThrow(/needs one of: admin/);
  });

  it("the bootstrap token is an admin with both scopes", () => {
    expect(can(BOOTSTRAP_ACTOR, "users.manage")).toBe(true);
  });

  it("highestRole prefers admin, then security, approver, member, viewer", () => {
    expect(highestRole(["viewer", "admin", "member"])).toBe("admin");
    expect(highestRole(["approver", "security"])).toBe("security");
    expect(highestRole(["viewer"])).toBe("viewer");
    expect(highestRole([])).toBeUndefined();
    expect(ROLES).toHaveLength(5);
  });
});
