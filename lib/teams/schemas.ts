import { z } from "zod";
import { IsoDateTime, Slug, Uuid } from "@core/zod/helpers";
import { TeamRoleSchema } from "../users/schemas";

export const TeamOutput = z.object({
  id: Uuid,
  slug: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  idpGroup: z.string().nullable().describe("IdP group whose members join this team at sign-in"),
  memberCount: z.number().int(),
  createdAt: IsoDateTime,
});
export type TeamOutput = z.infer<typeof TeamOutput>;

export const TeamMemberOutput = z.object({
  userId: Uuid,
  email: z.string(),
  name: z.string().nullable(),
  role: TeamRoleSchema,
  source: z.enum(["manual", "idp"]),
  createdAt: IsoDateTime,
});
export type TeamMemberOutput = z.infer<typeof TeamMemberOutput>;

const IdpGroup = z.string().trim().min(1).max(200);

export const CreateTeamInput = z
  .object({
    slug: Slug,
    name: z.string().trim().min(1, "is required").max(100),
    description: z.string().trim().max(500).optional(),
    idpGroup: IdpGroup.optional(),
  })
  .strict();
export type CreateTeamInput = z.infer<typeof CreateTeamInput>;

export const UpdateTeamInput = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    description: z.string().trim().max(500).nullable().optional(),
    idpGroup: IdpGroup.nullable().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, "send at least one of: name, description, idpGroup");
export type UpdateTeamInput = z.infer<typeof UpdateTeamInput>;

export const PutMemberInput = z.object({ role: TeamRoleSchema.default("member") }).strict();
export type PutMemberInput = z.infer<typeof PutMemberInput>;
