import { z } from "zod";
import { IsoDateTime } from "@core/zod/helpers";
import { BundleCodemode, PolicyRule } from "@core/bundle/schema";

/** A bundle version as it arrives in a path or query string. */
export const VersionText = z
  .string()
  .regex(/^[1-9][0-9]{0,8}$/, "must be a positive whole number")
  .transform(Number);

export const RollbackConfigInput = z
  .object({ version: z.number().int().positive().max(999_999_999).describe("The published version whose content to re-publish as a new version") })
  .strict();
export type RollbackConfigInput = z.infer<typeof RollbackConfigInput>;

export const AckOutput = z.object({
  portalUrl: z.string(),
  version: z.number().int(),
  status: z.enum(["accepted", "refused", "unreachable"]),
  /** The version the portal reported running after the push (null when it could not be asked). */
  activeVersion: z.number().int().nullable(),
  message: z.string().nullable(),
  at: IsoDateTime,
});
export type AckOutput = z.infer<typeof AckOutput>;

export const SkippedServer = z.object({ id: z.string(), slug: z.string(), reason: z.string() });
export type SkippedServer = z.infer<typeof SkippedServer>;

export const DeploymentSummary = z.object({
  servers: z.number().int(),
  tools: z.number().int(),
  tokens: z.number().int(),
  users: z.number().int(),
  teams: z.number().int(),
  rules: z.number().int(),
  /** Block list entries, rate limits, budgets, LLM providers; Code Mode's mode (absent: off). Absent in deployments from before they were summarized. */
  blocks: z.number().int().optional(),
  rateLimits: z.number().int().optional(),
  budgets: z.number().int().optional(),
  llmProviders: z.number().int().optional(),
  codemode: z.enum(["opt-in", "default", "enforced", "off"]).optional(),
  /** Approved servers left out of this bundle because their upstream credential could not be prepared for the edge. */
  skipped: z.array(SkippedServer),
});
export type DeploymentSummary = z.infer<typeof DeploymentSummary>;

export const DeploymentOutput = z.object({
  version: z.number().int(),
  /** publish; rollback (an earlier version's content); identity (the last content with today's users, teams and tokens). */
  kind: z.enum(["publish", "rollback", "identity"]),
  rolledBackFrom: z.number().int().nullable(),
  keyId: z.string(),
  contentHash: z.string(),
  summary: DeploymentSummary,
  publishedBy: z.string(),
  createdAt: IsoDateTime,
  /** The latest answer of each portal to a push of this version. */
  acks: z.array(AckOutput),
});
export type DeploymentOutput = z.infer<typeof DeploymentOutput>;

export const PublishOutput = DeploymentOutput.extend({
  /** What each configured portal answered to this push (empty when no portal is configured). */
  pushed: z.array(AckOutput),
});
export type PublishOutput = z.infer<typeof PublishOutput>;

export const PushOutput = z.object({ version: z.number().int(), pushed: z.array(AckOutput) });
export type PushOutput = z.infer<typeof PushOutput>;

export const DeploymentDetailOutput = DeploymentOutput.extend({
  /**
   * The bundle as published, with every sealed credential replaced by `"[sealed]"` and token hashes
   * left out: neither ever leaves the console towards a browser or an API caller.
   */
  bundle: z.record(z.string(), z.unknown()),
});
export type DeploymentDetailOutput = z.infer<typeof DeploymentDetailOutput>;

const CountChange = z.object({ from: z.number().int(), to: z.number().int(), added: z.number().int(), removed: z.number().int(), changed: z.number().int() });

const Named = z.object({ id: z.string(), name: z.string() });
const NamedChange = z.object({ added: z.array(Named), removed: z.array(Named), changed: z.array(Named) });

export const BundleDiffOutput = z.object({
  from: z.number().int(),
  to: z.number().int(),
  identical: z.boolean(),
  servers: z.object({
    added: z.array(z.object({ id: z.string(), slug: z.string(), name: z.string(), tools: z.number().int() })),
    removed: z.array(z.object({ id: z.string(), slug: z.string(), name: z.string() })),
    changed: z.array(
      z.object({
        id: z.string(),
        slug: z.string(),
        fields: z.array(z.string()),
        tools: z.object({ added: z.array(z.string()), removed: z.array(z.string()), hashChanged: z.array(z.string()), approvalChanged: z.array(z.string()), readOnlyChanged: z.array(z.string()) }),
      }),
    ),
  }),
  tokens: CountChange,
  users: CountChange,
  teams: CountChange,
  rules: z.object({ added: z.array(PolicyRule), removed: z.array(PolicyRule), changed: z.array(z.object({ before: PolicyRule, after: PolicyRule })) }),
  blocklist: NamedChange.describe("Shadow-MCP block list entries (origin and path); a removed one lifts a block"),
  rateLimits: NamedChange,
  budgets: NamedChange,
  llmProviders: NamedChange.describe("LLM gateway providers, by slug"),
  prices: NamedChange.describe("Price table entries, by provider/model"),
  codemode: z.object({ from: BundleCodemode.nullable(), to: BundleCodemode.nullable() }).nullable().describe("Code Mode's setting when it differs (null: off)"),
});

export const DiffQuery = z.object({ from: VersionText, to: VersionText }).strict();
