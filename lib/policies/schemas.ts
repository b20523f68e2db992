import { z } from "zod";
import { IsoDateTime, Uuid } from "@core/zod/helpers";
import { parseCidr } from "@core/net/cidr";
import { DAY_NAMES, formatSubjectText, parseSubjectText } from "@core/policy/subject";

/**
 * Access policies as people write them: in the editor, through `/api/v1/policies`, and in policy
 * files (export/import, YAML or JSON). Subjects are text (`team:platform`, `user:alice@acme.com`,
 * `group:eng`, `domain:acme.com`, `token:<id>`, `everyone`), days are names, times are UTC. The
 * console resolves names to ids when it stores a policy; the bundle carries ids.
 */

export const POLICY_PRIORITY_DEFAULT = 100;
export const POLICY_LIMITS = { policies: 10_000, cidrs: 100 } as const;

export const SubjectText = z
  .string()
  .min(1)
  .max(400)
  .superRefine((text, ctx) => {
    const parsed = parseSubjectText(text);
    if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
  })
  .transform((text) => formatSubjectText(parseSubjectText(text) as Exclude<ReturnType<typeof parseSubjectText>, string>))
  .describe("everyone, user:<e-mail>, team:<slug>, group:<IdP group>, domain:<example.com> or token:<token id>");

const Clock = z.string().trim().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time of day HH:MM (24 h, UTC)");

export const PolicyConditionsInput = z
  .object({
    timeWindow: z
      .object({
        days: z
          .array(z.enum(DAY_NAMES))
          .min(1)
          .max(7)
          .refine((d) => new Set(d).size === d.length, "days must not repeat")
          .optional()
          .describe("Days of the week (UTC) the window is open; absent: every day"),
        start: Clock.describe("Opens at (UTC, inclusive)"),
        end: Clock.describe("Closes at (UTC, exclusive); before start: the window runs past midnight"),
      })
      .strict()
      .refine((w) => w.start !== w.end, { message: "start and end are equal: the window would never be open", path: ["end"] })
      .optional(),
    clientCidrs: z
      .array(z.string().trim().refine((c) => parseCidr(c) !== null, "not an IPv4 or IPv6 CIDR (e.g. 10.0.0.0/8)"))
      .min(1)
      .max(POLICY_LIMITS.cidrs)
      .optional()
      .describe("The client's IP address must be in one of these"),
  })
  .strict();
export type PolicyConditionsInput = z.infer<typeof PolicyConditionsInput>;

const ServerPattern = z
  .string()
  .trim()
  .regex(/^(\*|[a-z0-9]+(?:-[a-z0-9]+)*)$/, "a server slug, or * for every server")
  .max(40);

const ToolGlob = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[^\s]+$/, "a tool name or glob without spaces (* any run of characters, ? one character)");

/** One policy as written (create, replace, import). */
export const PolicyInput = z
  .object({
    name: z.string().trim().min(1, "is required").max(100),
    description: z.string().trim().max(1000).nullable().optional(),
    effect: z.enum(["allow", "deny"]),
    subject: SubjectText,
    server: ServerPattern.describe("Server slug, or * for every server"),
    tool: ToolGlob.default("*").describe("Upstream tool name or glob; * (the default) also covers the server's prompts and resources"),
    priority: z.number().int().min(0).max(1_000_000).default(POLICY_PRIORITY_DEFAULT).describe("Higher decides first; at equal priority deny wins"),
    conditions: PolicyConditionsInput.nullable().optional(),
    enabled: z.boolean().default(true),
  })
  .strict();
export type PolicyInput = z.infer<typeof PolicyInput>;
export type PolicyInputRaw = z.input<typeof PolicyInput>;

/**
 * Only the fields sent. Built from the shape without defaults: zod 4's `.partial()` keeps
 * `.default()`s, so `{ priority: 300 }` would otherwise come back with `tool: "*"` and
 * `enabled: true` and silently reset them.
 */
export const UpdatePolicyInput = z
  .object({
    ...PolicyInput.shape,
    tool: ToolGlob.describe("Upstream tool name or glob"),
    priority: z.number().int().min(0).max(1_000_000),
    enabled: z.boolean(),
  })
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, "send at least one field to change");
export type UpdatePolicyInput = z.infer<typeof UpdatePolicyInput>;

export const PolicyOutput = z.object({
  id: Uuid,
  name: z.string(),
  description: z.string().nullable(),
  effect: z.enum(["allow", "deny"]),
  subject: z.string(),
  server: z.string(),
  tool: z.string(),
  priority: z.number().int(),
  conditions: PolicyConditionsInput.nullable(),
  enabled: z.boolean(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
});
export type PolicyOutput = z.infer<typeof PolicyOutput>;

/** A policy file: what export writes and import reads. */
export const PolicyDocument = z
  .object({
    version: z.literal(1).describe("Format version of this file"),
    policies: z.array(PolicyInput).max(POLICY_LIMITS.policies),
  })
  .strict();
export type PolicyDocument = z.infer<typeof PolicyDocument>;

export const PolicyFormat = z.enum(["yaml", "json"]);
export type PolicyFormat = z.infer<typeof PolicyFormat>;

export const ExportPoliciesQuery = z.object({ format: PolicyFormat.default("yaml") }).strict();
export const ExportPoliciesOutput = z.object({ format: PolicyFormat, content: z.string(), count: z.number().int() });
export type ExportPoliciesOutput = z.infer<typeof ExportPoliciesOutput>;

export const ImportPoliciesInput = z
  .object({
    format: PolicyFormat.default("yaml"),
    content: z.string().min(1).max(5_000_000).describe("The policy file's text"),
    mode: z
      .enum(["merge", "replace"])
      .default("merge")
      .describe("merge: create or update policies by name, keep the others; replace: the file becomes the complete set"),
    dryRun: z.boolean().default(false).describe("Validate and report what would change, change nothing"),
  })
  .strict();
export type ImportPoliciesInput = z.input<typeof ImportPoliciesInput>;

export const ImportPoliciesOutput = z.object({
  dryRun: z.boolean(),
  created: z.array(z.string()),
  updated: z.array(z.string()),
  deleted: z.array(z.string()),
  unchanged: z.number().int(),
});
export type ImportPoliciesOutput = z.infer<typeof ImportPoliciesOutput>;

export const SimulateInput = z
  .object({
    user: z.string().trim().min(1).max(320).describe("The user's e-mail address (or user id)"),
    tool: z
      .string()
      .trim()
      .min(1)
      .max(300)
      .describe("The tool as the portal names it (<server>_<tool>, e.g. github_create_issue), or <server>/<tool>"),
    clientIp: z.string().trim().max(64).nullable().optional().describe("The client's IP address, for CIDR conditions"),
    at: IsoDateTime.nullable().optional().describe("When (default now), for time windows"),
    tokenId: Uuid.nullable().optional().describe("Simulate a call made with this API token"),
    against: z.enum(["draft", "deployed"]).default("draft").describe("draft: what the next publish would enforce; deployed: the latest published bundle"),
  })
  .strict();
export type SimulateInput = z.input<typeof SimulateInput>;

export const SimulateOutput = z.object({
  decision: z.enum(["allow", "deny"]),
  /** One sentence a person can act on. */
  reason: z.string(),
  stage: z.enum(["user", "server", "tool", "policy"]).describe("Which check decided"),
  rule: z
    .object({ id: z.string(), name: z.string(), kind: z.enum(["policy", "server access"]), description: z.string() })
    .nullable(),
  user: z.object({ id: z.string(), email: z.string() }).nullable(),
  server: z.string().nullable(),
  tool: z.string().nullable(),
  against: z.enum(["draft", "deployed"]),
  bundleVersion: z.number().int().nullable(),
  at: IsoDateTime,
});
export type SimulateOutput = z.infer<typeof SimulateOutput>;

/** Before publishing: which users gain or lose which tools (lib/policies/impact.ts). */
export const ImpactChange = z.object({
  change: z.enum(["gained", "lost"]),
  server: z.string(),
  tool: z.string(),
  user: z.object({ id: z.string(), email: z.string(), teams: z.array(z.string()) }),
  /** What decides after publishing (gained: the allowing rule; lost: the denying rule, or why). */
  because: z.string(),
});
export type ImpactChange = z.infer<typeof ImpactChange>;

export const ImpactOutput = z.object({
  deployedVersion: z.number().int().nullable(),
  gained: z.number().int(),
  lost: z.number().int(),
  /** The first IMPACT_LIMITS.changes changes, by server, tool and e-mail. */
  changes: z.array(ImpactChange),
  truncated: z.boolean(),
  /** False when users × tools exceeded IMPACT_LIMITS.evaluations and the preview stopped early. */
  complete: z.boolean(),
  evaluatedAt: z.string(),
});
export type ImpactOutput = z.infer<typeof ImpactOutput>;
