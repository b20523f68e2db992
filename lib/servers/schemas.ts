import { z } from "zod";
import { IsoDateTime, parseUrl, Slug, Uuid } from "@core/zod/helpers";
import { containsRedaction, REDACTED } from "@core/net/redact-url";

const HeaderName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, "is not a valid HTTP header name");
const Secret = z.string().min(1, "is required").max(8_000);

export const UpstreamAuthInput = z.discriminatedUnion("type", [
  z.object({ type: z.literal("none") }).strict(),
  z.object({ type: z.literal("bearer"), token: Secret }).strict(),
  z
    .object({
      type: z.literal("headers"),
      headers: z
        .record(HeaderName, z.string().max(8_000))
        .refine((h) => Object.keys(h).length > 0 && Object.keys(h).length <= 20, "give between 1 and 20 headers"),
    })
    .strict(),
  z
    .object({
      type: z.literal("oauth_client_credentials"),
      clientId: z.string().min(1).max(500),
      clientSecret: Secret,
      scope: z.string().max(1000).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal("oauth_authorization_code"),
      flowId: Uuid.describe("A finished authorization from the console's Authorize step (interactive; started in the browser)"),
    })
    .strict(),
]);
export type UpstreamAuthInput = z.infer<typeof UpstreamAuthInput>;

export const ServerUrl = z
  .url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" })
  .max(2000)
  .refine((u) => !parseUrl(u)?.username && !parseUrl(u)?.password, "must not contain a user name or password; use the authentication settings")
  // Pages and the API show server URLs with their secrets replaced by the marker: sent back, it would replace the real one.
  .refine((u) => !containsRedaction(u), `contains ${REDACTED}, which Portcullis shows in place of a secret: enter the full URL, secret included`);

export const RegisterServerInput = z
  .object({
    name: z.string().trim().min(1, "is required").max(100),
    slug: Slug.describe("Lowercase letters, digits and hyphens; portal tool names are {slug}_{tool}."),
    url: ServerUrl,
    description: z.string().trim().max(2000).optional(),
    justification: z.string().trim().min(1, "say why your team needs this server").max(4000),
    ownerTeamId: Uuid.optional(),
    auth: UpstreamAuthInput.default({ type: "none" }),
    findingId: Uuid.optional().describe(
      "The shadow-MCP finding this request adopts: once the server is registered, the finding links to it and is resolved as approved (for a caller who may triage findings)",
    ),
  })
  .strict();
export type RegisterServerInput = z.infer<typeof RegisterServerInput>;

export const ApproveServerInput = z
  .object({
    reason: z.string().trim().min(1, "give a reason").max(4000),
    tools: z.array(z.string().min(1).max(200)).max(2000).optional().describe("Tools to enable; default: every tool without a high-severity finding"),
  })
  .strict();
export type ApproveServerInput = z.infer<typeof ApproveServerInput>;

export const RejectServerInput = z.object({ reason: z.string().trim().min(1, "give a reason").max(4000) }).strict();

export const FindingOutput = z.object({ rule: z.string(), severity: z.enum(["low", "medium", "high"]), field: z.string(), match: z.string(), message: z.string() });

export const ToolOutput = z.object({
  name: z.string(),
  state: z.enum(["enabled", "disabled", "quarantined", "removed"]),
  description: z.string().nullable(),
  hash: z.string(),
  pinnedHash: z.string().nullable(),
  quarantineReason: z.string().nullable(),
  findings: z.array(FindingOutput),
  highestSeverity: z.enum(["low", "medium", "high"]).nullable(),
  tokens: z.object({ json: z.number().int(), typescript: z.number().int() }),
  definition: z.record(z.string(), z.unknown()),
  approval: z.enum(["ask", "never"]).nullable().describe("Code Mode's approval pause for this tool: ask, never, or null (the portal's rule)"),
});
export type ToolOutput = z.infer<typeof ToolOutput>;

export const ServerStatus = z.enum(["pending_review", "approved", "rejected"]);

export const ServerOutput = z.object({
  id: Uuid,
  slug: z.string(),
  name: z.string(),
  url: z.string().describe("As registered, with any secret in it (a key in the path, ?api_key=, userinfo) shown as [redacted]"),
  endpointUrl: z.string().describe("The URL that answered MCP, redacted like url"),
  transport: z.enum(["streamable-http", "sse"]),
  description: z.string().nullable(),
  justification: z.string().nullable(),
  status: ServerStatus,
  ownerTeam: z.object({ id: Uuid, name: z.string() }).nullable(),
  requestedBy: z.object({ id: Uuid, email: z.string() }).nullable(),
  auth: z.object({ type: z.enum(["none", "bearer", "headers", "oauth_client_credentials", "oauth_authorization_code"]), summary: z.record(z.string(), z.unknown()) }),
  serverInfo: z.record(z.string(), z.unknown()).nullable(),
  protocolVersion: z.string().nullable(),
  counts: z.object({ tools: z.number().int(), enabled: z.number().int(), disabled: z.number().int(), quarantined: z.number().int(), highFindings: z.number().int() }),
  tokens: z.object({ json: z.number().int(), typescript: z.number().int() }),
  lastSyncedAt: IsoDateTime.nullable(),
  lastSyncError: z.string().nullable(),
  decision: z.object({ by: z.string().nullable(), at: IsoDateTime.nullable(), reason: z.string().nullable() }),
  hosted: z
    .object({ dir: z.string().describe("Its project folder (made by npx portcullis new-server)") })
    .nullable()
    .describe("Set for a server npm start runs in the local workerd next to the portal (PORTCULLIS_HOSTED_DIR); null for every other"),
  createdAt: IsoDateTime,
  tools: z.array(ToolOutput).optional(),
});
export type ServerOutput = z.infer<typeof ServerOutput>;

export const ListServersQuery = z
  .object({
    status: ServerStatus.optional(),
    q: z.string().max(200).optional().describe("Search in name, slug, URL and description"),
  })
  .strict();

export const StartUpstreamOAuthInput = z
  .object({
    url: ServerUrl,
    scope: z.string().trim().max(1000).optional(),
  })
  .strict();

/** Who may use a server at the edge: everyone, or the listed teams (neither: nobody). */
export const SetServerAccessInput = z
  .object({
    everyone: z.boolean().describe("Every signed-in user of the portal may use this server"),
    teamIds: z.array(Uuid).max(1000).default([]).describe("Teams whose members may use this server (when not everyone)"),
  })
  .strict()
  .refine((v) => !(v.everyone && v.teamIds.length > 0), { message: "choose everyone or a list of teams, not both", path: ["teamIds"] });
export type SetServerAccessInput = z.infer<typeof SetServerAccessInput>;

export const ServerAccessOutput = z.object({
  serverId: z.string(),
  everyone: z.boolean(),
  teams: z.array(z.object({ id: z.string(), slug: z.string(), name: z.string() })),
});
export type ServerAccessOutput = z.infer<typeof ServerAccessOutput>;
