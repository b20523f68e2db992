import { z } from "zod";
import { ROLES } from "@core/auth/roles";
import { IsoDateTime, Uuid } from "@core/zod/helpers";

export const RoleSchema = z.enum(ROLES);
export const TeamRoleSchema = z.enum(["lead", "member"]);

export const UserTeamOutput = z.object({
  id: Uuid,
  slug: z.string(),
  name: z.string(),
  role: TeamRoleSchema,
  source: z.enum(["manual", "idp"]),
});

export const UserOutput = z.object({
  id: Uuid,
  email: z.string(),
  name: z.string().nullable(),
  role: RoleSchema,
  authSource: z.string().describe("`local`, or the OIDC issuer the user signs in with"),
  disabled: z.boolean(),
  createdAt: IsoDateTime,
  lastSignInAt: IsoDateTime.nullable(),
  teams: z.array(UserTeamOutput),
});
export type UserOutput = z.infer<typeof UserOutput>;

export const MeOutput = z.object({
  kind: z.enum(["user", "token", "bootstrap", "system"]).describe("How the caller authenticated"),
  user: UserOutput.nullable().describe("null for the bootstrap admin token, which has no user"),
  role: RoleSchema,
  scopes: z.array(z.enum(["read", "write"])),
  token: z.object({ id: Uuid, prefix: z.string() }).nullable(),
});
export type MeOutput = z.infer<typeof MeOutput>;

export const CreateUserInput = z
  .object({
    email: z.email("must be an e-mail address").trim().toLowerCase().max(254),
    name: z.string().trim().min(1).max(100).optional(),
    role: RoleSchema.default("member"),
  })
  .strict();
export type CreateUserInput = z.infer<typeof CreateUserInput>;

export const UpdateUserInput = z
  .object({
    name: z.string().trim().min(1).max(100).nullable().optional(),
    role: RoleSchema.optional(),
    disabled: z.boolean().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, "send at least one of: name, role, disabled");
export type UpdateUserInput = z.infer<typeof UpdateUserInput>;
