import { z } from "zod";
import { TOKEN_SCOPES } from "@core/auth/roles";
import { IsoDateTime, Uuid } from "@core/zod/helpers";

export const TokenScopeSchema = z.enum(TOKEN_SCOPES);

export const CreateTokenInput = z
  .object({
    name: z.string().trim().min(1, "is required").max(100, "must be at most 100 characters"),
    scopes: z
      .array(TokenScopeSchema)
      .min(1, "pick at least one scope")
      .default([...TOKEN_SCOPES])
      .transform((s) => [...new Set(s)].sort()),
    expiresInDays: z
      .number()
      .int("must be a whole number of days")
      .min(1, "must be at least 1 day")
      .max(3650, "must be at most 3650 days")
      .nullable()
      .default(90)
      .describe("Days until the token expires; null for a token that never expires."),
    userId: Uuid.optional().describe("Admins only: create the token for another user (e.g. a service account)."),
  })
  .strict();
export type CreateTokenInput = z.infer<typeof CreateTokenInput>;

export const TokenOutput = z.object({
  id: Uuid,
  name: z.string(),
  prefix: z.string().describe("The first characters of the secret, safe to show."),
  scopes: z.array(TokenScopeSchema),
  userId: Uuid,
  userEmail: z.string(),
  expiresAt: IsoDateTime.nullable(),
  lastUsedAt: IsoDateTime.nullable(),
  revokedAt: IsoDateTime.nullable(),
  createdAt: IsoDateTime,
  status: z.enum(["active", "expired", "revoked"]),
});
export type TokenOutput = z.infer<typeof TokenOutput>;

export const CreateTokenOutput = TokenOutput.extend({
  secret: z.string().describe("The token itself. Shown exactly once: store it now."),
});
export type CreateTokenOutput = z.infer<typeof CreateTokenOutput>;

export const ListTokensQuery = z
  .object({
    all: z
      .enum(["true", "false"])
      .default("false")
      .transform((v) => v === "true")
      .describe("security/admin: list every user's tokens, not only your own"),
    includeRevoked: z
      .enum(["true", "false"])
      .default("false")
      .transform((v) => v === "true"),
  })
  .strict();
