import { z } from "zod";
import { Uuid } from "@core/zod/helpers";
import { endpoint } from "./endpoint";
import { CreateTokenInput, CreateTokenOutput, ListTokensQuery, TokenOutput } from "../tokens/schemas";
import { CreateUserInput, MeOutput, UpdateUserInput, UserOutput } from "../users/schemas";
import { CreateTeamInput, PutMemberInput, TeamMemberOutput, TeamOutput, UpdateTeamInput } from "../teams/schemas";
import { ApproveServerInput, ListServersQuery, RegisterServerInput, RejectServerInput, ServerOutput } from "../servers/schemas";
import { ServerAccessOutput, SetServerAccessInput } from "../servers/access";
import { BundleDiffOutput, DeploymentDetailOutput, DeploymentOutput, DiffQuery, PublishOutput, PushOutput, RollbackConfigInput, VersionText } from "../config/schemas";
import { EventBatch } from "@core/events/schema";
import { ExportPoliciesOutput, ExportPoliciesQuery, ImportPoliciesInput, ImportPoliciesOutput, PolicyInput, PolicyOutput, SimulateInput, SimulateOutput, UpdatePolicyInput } from "../policies/schemas";
import { ImpactOutput } from "../policies/impact";
import { ListEventsOutput, ListEventsQuery } from "@/lib/audit/schemas";
import { RateLimitInput, RateLimitOutput, UpdateRateLimitInput } from "../rate-limits/schemas";
import { BudgetAlertOutput, BudgetInput, BudgetOutput, BudgetStatusListOutput, ListBudgetAlertsQuery, UpdateBudgetInput } from "../budgets/schemas";
import { PricesOutput, ProviderInput, ProviderOutput, PutPricesInput, UpdateProviderInput } from "@/lib/llm-providers/schemas";
import { UsageOutput, UsageQuery } from "../usage/schemas";
import { BlockEntryOutput, CreateBlockInput, FindingDetailOutput, FindingSummaryOutput, ListFindingsQuery, ScanIngestOutput, ShadowStatsOutput, TrafficIngestOutput, TrafficQuery, UpdateFindingInput, UploadOutput } from "@/lib/shadow/schemas";
import { ScanReportInput } from "@core/laptop-scan/report";

const IdParams = z.object({ id: Uuid });
const MemberParams = z.object({ id: Uuid, userId: Uuid });
const NoQuery = z.object({}).strict();

export const getMe = endpoint({
  method: "GET", path: "/me", operationId: "getMe", tag: "Identity", permission: "me.read", status: 200,
  summary: "Who am I: the user, role and scopes behind the presented token",
  query: NoQuery, response: MeOutput,
});

export const listTokensEndpoint = endpoint({
  method: "GET", path: "/tokens", operationId: "listTokens", tag: "API tokens", permission: "tokens.read-own", status: 200,
  summary: "List API tokens (your own; everyone's with all=true for security and admin)",
  query: ListTokensQuery, response: z.object({ tokens: z.array(TokenOutput) }),
});

export const createTokenEndpoint = endpoint({
  method: "POST", path: "/tokens", operationId: "createToken", tag: "API tokens", permission: "tokens.manage-own", status: 201,
  summary: "Create an API token; the response carries the secret, exactly once",
  query: NoQuery, body: CreateTokenInput, response: CreateTokenOutput,
});

export const revokeTokenEndpoint = endpoint({
  method: "DELETE", path: "/tokens/{id}", operationId: "revokeToken", tag: "API tokens", permission: "tokens.manage-own", status: 200,
  summary: "Revoke an API token (your own; any token for security and admin)",
  params: IdParams, query: NoQuery, response: TokenOutput,
});

export const listUsersEndpoint = endpoint({
  method: "GET", path: "/users", operationId: "listUsers", tag: "Users", permission: "users.read", status: 200,
  summary: "List users with their roles and teams",
  query: NoQuery, response: z.object({ users: z.array(UserOutput) }),
});

export const createUserEndpoint = endpoint({
  method: "POST", path: "/users", operationId: "createUser", tag: "Users", permission: "users.manage", status: 201,
  summary: "Pre-provision a user (before first sign-in) or a service account",
  query: NoQuery, body: CreateUserInput, response: UserOutput,
});

export const getUserEndpoint = endpoint({
  method: "GET", path: "/users/{id}", operationId: "getUser", tag: "Users", permission: "users.read", status: 200,
  summary: "Get one user", params: IdParams, query: NoQuery, response: UserOutput,
});

export const updateUserEndpoint = endpoint({
  method: "PATCH", path: "/users/{id}", operationId: "updateUser", tag: "Users", permission: "users.manage", status: 200,
  summary: "Change a user's name, role, or disable them (the last admin cannot be demoted)",
  params: IdParams, query: NoQuery, body: UpdateUserInput, response: UserOutput,
});

export const listTeamsEndpoint = endpoint({
  method: "GET", path: "/teams", operationId: "listTeams", tag: "Teams", permission: "teams.read", status: 200,
  summary: "List teams", query: NoQuery, response: z.object({ teams: z.array(TeamOutput) }),
});

export const createTeamEndpoint = endpoint({
  method: "POST", path: "/teams", operationId: "createTeam", tag: "Teams", permission: "teams.manage", status: 201,
  summary: "Create a team, optionally mapped to an IdP group",
  query: NoQuery, body: CreateTeamInput, response: TeamOutput,
});

export const getTeamEndpoint = endpoint({
  method: "GET", path: "/teams/{id}", operationId: "getTeam", tag: "Teams", permission: "teams.read", status: 200,
  summary: "Get one team", params: IdParams, query: NoQuery, response: TeamOutput,
});

export const updateTeamEndpoint = endpoint({
  method: "PATCH", path: "/teams/{id}", operationId: "updateTeam", tag: "Teams", permission: "teams.manage", status: 200,
  summary: "Rename a team or change its IdP group", params: IdParams, query: NoQuery, body: UpdateTeamInput, response: TeamOutput,
});

export const deleteTeamEndpoint = endpoint({
  method: "DELETE", path: "/teams/{id}", operationId: "deleteTeam", tag: "Teams", permission: "teams.manage", status: 204,
  summary: "Delete a team and its memberships", params: IdParams, query: NoQuery,
});

export const listTeamMembersEndpoint = endpoint({
  method: "GET", path: "/teams/{id}/members", operationId: "listTeamMembers", tag: "Teams", permission: "teams.read", status: 200,
  summary: "List a team's members", params: IdParams, query: NoQuery, response: z.object({ members: z.array(TeamMemberOutput) }),
});

export const putTeamMemberEndpoint = endpoint({
  method: "PUT", path: "/teams/{id}/members/{userId}", operationId: "putTeamMember", tag: "Teams", permission: "teams.manage", status: 200,
  summary: "Add a user to a team or change their team role", params: MemberParams, query: NoQuery, body: PutMemberInput, response: TeamMemberOutput,
});

export const deleteTeamMemberEndpoint = endpoint({
  method: "DELETE", path: "/teams/{id}/members/{userId}", operationId: "deleteTeamMember", tag: "Teams", permission: "teams.manage", status: 204,
  summary: "Remove a user from a team", params: MemberParams, query: NoQuery,
});

export const listServersEndpoint = endpoint({
  method: "GET", path: "/servers", operationId: "listServers", tag: "Servers", permission: "servers.read", status: 200,
  summary: "List registered MCP servers (filter by status, search by text)",
  query: ListServersQuery, response: z.object({ servers: z.array(ServerOutput) }),
});

export const registerServerEndpoint = endpoint({
  method: "POST", path: "/servers", operationId: "registerServer", tag: "Servers", permission: "servers.request", status: 201,
  summary: "Request a remote MCP server: runs discovery and returns the server, pending review, with its tools",
  description: "Nothing is saved when discovery fails; the 422 error says why (UPSTREAM_UNREACHABLE, UPSTREAM_NOT_MCP, UPSTREAM_AUTH_FAILED, UPSTREAM_TIMEOUT, UPSTREAM_ADDRESS_REFUSED). Credentials are encrypted at rest and never returned.",
  query: NoQuery, body: RegisterServerInput, response: ServerOutput,
});

export const getServerEndpoint = endpoint({
  method: "GET", path: "/servers/{id}", operationId: "getServer", tag: "Servers", permission: "servers.read", status: 200,
  summary: "Get one server with its tools, their states, hashes, findings and token cost", params: IdParams, query: NoQuery, response: ServerOutput,
});

export const syncServerEndpoint = endpoint({
  method: "POST", path: "/servers/{id}/sync", operationId: "syncServer", tag: "Servers", permission: "servers.sync", status: 200,
  summary: "Re-run discovery now; new or changed tools of an approved server are quarantined",
  params: IdParams, query: NoQuery,
  response: z.object({ server: ServerOutput, changed: z.boolean(), added: z.array(z.string()), removed: z.array(z.string()), modified: z.array(z.string()), quarantined: z.array(z.string()) }),
});

export const approveServerEndpoint = endpoint({
  method: "POST", path: "/servers/{id}/approve", operationId: "approveServer", tag: "Servers", permission: "servers.review", status: 200,
  summary: "Approve (or re-approve) a server with the tools to enable; pins every tool's current hash",
  params: IdParams, query: NoQuery, body: ApproveServerInput, response: ServerOutput,
});

export const rejectServerEndpoint = endpoint({
  method: "POST", path: "/servers/{id}/reject", operationId: "rejectServer", tag: "Servers", permission: "servers.review", status: 200,
  summary: "Reject a request (or withdraw an approved server)", params: IdParams, query: NoQuery, body: RejectServerInput, response: ServerOutput,
});

export const ingestEventsEndpoint = endpoint({
  method: "POST", path: "/events", operationId: "ingestEvents", tag: "Audit", permission: null, auth: "edge-signature", status: 200,
  summary: "Portal Worker only: deliver a batch of MCP events (at most 500), idempotent on each event's id",
  description: "Signed with the edge secret over the raw body (X-Portcullis-Signature); API tokens are ignored. The batch is stored whole or not at all; an id already stored counts as a duplicate, so redelivering a batch is harmless.",
  query: NoQuery, body: EventBatch,
  response: z.object({ accepted: z.number().int().describe("Events stored now"), duplicates: z.number().int().describe("Events whose id was already stored") }),
  errors: { 413: "Body over 2,000,000 bytes (code PAYLOAD_TOO_LARGE)" },
});

export const listAuditEventsEndpoint = endpoint({
  method: "GET", path: "/audit", operationId: "listAuditEvents", tag: "Audit", permission: "audit.read", status: 200,
  summary: "MCP calls seen by the portal, newest first, with filters and cursor pagination",
  query: ListEventsQuery, response: ListEventsOutput,
});

export const getServerAccessEndpoint = endpoint({
  method: "GET", path: "/servers/{id}/access", operationId: "getServerAccess", tag: "Servers", permission: "servers.read", status: 200,
  summary: "Who may use this server at the edge: everyone, or the listed teams (neither: nobody)",
  params: IdParams, query: NoQuery, response: ServerAccessOutput,
});

export const setServerAccessEndpoint = endpoint({
  method: "PUT", path: "/servers/{id}/access", operationId: "setServerAccess", tag: "Servers", permission: "servers.access", status: 200,
  summary: "Replace who may use this server at the edge; takes effect with the next publish",
  params: IdParams, query: NoQuery, body: SetServerAccessInput, response: ServerAccessOutput,
});

export const publishConfigEndpoint = endpoint({
  method: "POST", path: "/config/publish", operationId: "publishConfig", tag: "Configuration", permission: "config.publish", status: 201,
  summary: "Compile, sign and record the next config bundle version, then push it to every portal",
  description: "The deployment is recorded even when a portal is unreachable or refuses it; `pushed` has each portal's answer (accepted, refused, unreachable). Re-send with POST /config/push.",
  query: NoQuery, response: PublishOutput,
});

export const pushConfigEndpoint = endpoint({
  method: "POST", path: "/config/push", operationId: "pushConfig", tag: "Configuration", permission: "config.publish", status: 200,
  summary: "Send the latest published bundle to every portal again",
  description: "409 when nothing has been published yet.",
  query: NoQuery, response: PushOutput,
});

export const rollbackConfigEndpoint = endpoint({
  method: "POST", path: "/config/rollback", operationId: "rollbackConfig", tag: "Configuration", permission: "config.publish", status: 201,
  summary: "Re-publish an earlier version's content as a new version (tokens revoked and users disabled since stay out)",
  query: NoQuery, body: RollbackConfigInput, response: PublishOutput,
});

export const listDeploymentsEndpoint = endpoint({
  method: "GET", path: "/config/deployments", operationId: "listDeployments", tag: "Configuration", permission: "config.read", status: 200,
  summary: "The latest 50 published config bundle versions, newest first, with each portal's latest answer",
  query: NoQuery, response: z.object({ deployments: z.array(DeploymentOutput) }),
});

export const getDeploymentEndpoint = endpoint({
  method: "GET", path: "/config/deployments/{version}", operationId: "getDeployment", tag: "Configuration", permission: "config.read", status: 200,
  summary: "One published bundle; sealed credentials read \"[sealed]\" and token hashes are left out",
  params: z.object({ version: VersionText }), query: NoQuery, response: DeploymentDetailOutput,
});

export const diffConfigEndpoint = endpoint({
  method: "GET", path: "/config/diff", operationId: "diffConfig", tag: "Configuration", permission: "config.read", status: 200,
  summary: "What changed between two published versions: servers, tools, rules, and token/user/team counts",
  query: DiffQuery, response: BundleDiffOutput,
});

export const listPoliciesEndpoint = endpoint({
  method: "GET", path: "/policies", operationId: "listPolicies", tag: "Policies", permission: "policies.read", status: 200,
  summary: "Every access policy, in decision order (priority, then deny before allow)",
  query: NoQuery, response: z.object({ policies: z.array(PolicyOutput) }),
});

export const createPolicyEndpoint = endpoint({
  method: "POST", path: "/policies", operationId: "createPolicy", tag: "Policies", permission: "policies.manage", status: 201,
  summary: "Create an access policy; it reaches the edge with the next publish",
  description: "Subjects: everyone, user:<e-mail>, team:<slug>, group:<IdP group>, domain:<example.com>, token:<id>. The highest priority among matching policies decides; at equal priority deny wins; nothing matching denies. 409 when the name is taken.",
  query: NoQuery, body: PolicyInput, response: PolicyOutput,
});

export const getPolicyEndpoint = endpoint({
  method: "GET", path: "/policies/{id}", operationId: "getPolicy", tag: "Policies", permission: "policies.read", status: 200,
  summary: "One access policy",
  params: IdParams, query: NoQuery, response: PolicyOutput,
});

export const updatePolicyEndpoint = endpoint({
  method: "PATCH", path: "/policies/{id}", operationId: "updatePolicy", tag: "Policies", permission: "policies.manage", status: 200,
  summary: "Change an access policy (only the fields sent)",
  params: IdParams, query: NoQuery, body: UpdatePolicyInput, response: PolicyOutput,
});

export const deletePolicyEndpoint = endpoint({
  method: "DELETE", path: "/policies/{id}", operationId: "deletePolicy", tag: "Policies", permission: "policies.manage", status: 200,
  summary: "Delete an access policy; answers the deleted policy",
  params: IdParams, query: NoQuery, response: PolicyOutput,
});

export const simulatePolicyEndpoint = endpoint({
  method: "POST", path: "/policies/simulate", operationId: "simulatePolicy", tag: "Policies", permission: "policies.read", status: 200,
  summary: "Would this user be allowed to call this tool (from this address, at this time)? The decision and what made it",
  query: NoQuery, body: SimulateInput, response: SimulateOutput,
});

export const exportPoliciesEndpoint = endpoint({
  method: "GET", path: "/policies/export", operationId: "exportPolicies", tag: "Policies", permission: "policies.read", status: 200,
  summary: "Every policy as one YAML or JSON file (policy as code)",
  query: ExportPoliciesQuery, response: ExportPoliciesOutput,
});

export const importPoliciesEndpoint = endpoint({
  method: "POST", path: "/policies/import", operationId: "importPolicies", tag: "Policies", permission: "policies.manage", status: 200,
  summary: "Apply a policy file (merge by name, or replace the whole set); all or nothing, with a dry run",
  query: NoQuery, body: ImportPoliciesInput, response: ImportPoliciesOutput,
});

export const policyImpactEndpoint = endpoint({
  method: "GET", path: "/policies/impact", operationId: "previewPolicyImpact", tag: "Policies", permission: "policies.read", status: 200,
  summary: "Before publishing: which users gain or lose which tools compared with the deployed bundle",
  query: NoQuery, response: ImpactOutput,
});

export const listRateLimitsEndpoint = endpoint({
  method: "GET", path: "/rate-limits", operationId: "listRateLimits", tag: "Limits", permission: "limits.read", status: 200,
  summary: "Every rate limit, by name",
  query: NoQuery, response: z.object({ rateLimits: z.array(RateLimitOutput) }),
});

export const createRateLimitEndpoint = endpoint({
  method: "POST", path: "/rate-limits", operationId: "createRateLimit", tag: "Limits", permission: "limits.manage", status: 201,
  summary: "Create a rate limit; it reaches the edge with the next publish",
  description:
    "`limit` requests per sliding `window` (seconds, or \"30s\", \"1m\", \"1h\", \"1d\") for the calls `subject` makes (everyone, user:<e-mail>, team:<slug>, token:<id>; not group: or domain:) within `scope` (mcp, llm, all), counted `per` user, team or token. `server` and `tool` narrow an mcp scope. 409 when the name is taken.",
  query: NoQuery, body: RateLimitInput, response: RateLimitOutput,
});

export const getRateLimitEndpoint = endpoint({
  method: "GET", path: "/rate-limits/{id}", operationId: "getRateLimit", tag: "Limits", permission: "limits.read", status: 200,
  summary: "One rate limit", params: IdParams, query: NoQuery, response: RateLimitOutput,
});

export const updateRateLimitEndpoint = endpoint({
  method: "PATCH", path: "/rate-limits/{id}", operationId: "updateRateLimit", tag: "Limits", permission: "limits.manage", status: 200,
  summary: "Change a rate limit (only the fields sent)", params: IdParams, query: NoQuery, body: UpdateRateLimitInput, response: RateLimitOutput,
});

export const deleteRateLimitEndpoint = endpoint({
  method: "DELETE", path: "/rate-limits/{id}", operationId: "deleteRateLimit", tag: "Limits", permission: "limits.manage", status: 200,
  summary: "Delete a rate limit; answers the deleted limit", params: IdParams, query: NoQuery, response: RateLimitOutput,
});

export const listBudgetsEndpoint = endpoint({
  method: "GET", path: "/budgets", operationId: "listBudgets", tag: "Budgets", permission: "budgets.read", status: 200,
  summary: "Every budget, by name (alert webhook URLs only for those who manage budgets)",
  query: NoQuery, response: z.object({ budgets: z.array(BudgetOutput) }),
});

export const createBudgetEndpoint = endpoint({
  method: "POST", path: "/budgets", operationId: "createBudget", tag: "Budgets", permission: "limits.manage", status: 201,
  summary: "Create a budget; it reaches the edge with the next publish",
  description:
    "Caps the LLM spend of a user (any of their keys), a team (every member, any key) or one API token per UTC day, ISO week or month, in tokens or US dollars (up to 6 decimals). Alerts at 50, 80 and 100 % go to the Budgets page and, when set, to `alertWebhookUrl`. 409 when the name is taken.",
  query: NoQuery, body: BudgetInput, response: BudgetOutput,
});

export const budgetStatusEndpoint = endpoint({
  method: "GET", path: "/budgets/status", operationId: "getBudgetStatus", tag: "Budgets", permission: "budgets.read", status: 200,
  summary: "Every budget's spend in its current period: amount, percent of the limit, and when the period resets",
  query: NoQuery, response: BudgetStatusListOutput,
});

export const listBudgetAlertsEndpoint = endpoint({
  method: "GET", path: "/budgets/alerts", operationId: "listBudgetAlerts", tag: "Budgets", permission: "budgets.read", status: 200,
  summary: "Budget alerts (50, 80, 100 % reached), newest first, with the webhook's outcome",
  query: ListBudgetAlertsQuery, response: z.object({ alerts: z.array(BudgetAlertOutput) }),
});

export const getBudgetEndpoint = endpoint({
  method: "GET", path: "/budgets/{id}", operationId: "getBudget", tag: "Budgets", permission: "budgets.read", status: 200,
  summary: "One budget", params: IdParams, query: NoQuery, response: BudgetOutput,
});

export const updateBudgetEndpoint = endpoint({
  method: "PATCH", path: "/budgets/{id}", operationId: "updateBudget", tag: "Budgets", permission: "limits.manage", status: 200,
  summary: "Change a budget (only the fields sent; a new metric needs a new limit)", params: IdParams, query: NoQuery, body: UpdateBudgetInput, response: BudgetOutput,
});

export const deleteBudgetEndpoint = endpoint({
  method: "DELETE", path: "/budgets/{id}", operationId: "deleteBudget", tag: "Budgets", permission: "limits.manage", status: 200,
  summary: "Delete a budget and its alerts; answers the deleted budget", params: IdParams, query: NoQuery, response: BudgetOutput,
});

export const listLlmProvidersEndpoint = endpoint({
  method: "GET", path: "/llm/providers", operationId: "listLlmProviders", tag: "LLM gateway", permission: "gateway.read", status: 200,
  summary: "LLM providers behind the gateway (<portal>/llm/<slug>/v1/...); API keys are never returned",
  query: NoQuery, response: z.object({ providers: z.array(ProviderOutput) }),
});

export const createLlmProviderEndpoint = endpoint({
  method: "POST", path: "/llm/providers", operationId: "createLlmProvider", tag: "LLM gateway", permission: "gateway.manage", status: 201,
  summary: "Add an LLM provider; it reaches the edge with the next publish",
  description: "The API key is write-only: encrypted at rest, sealed for the edge, never returned or audited. 409 when the slug is taken.",
  query: NoQuery, body: ProviderInput, response: ProviderOutput,
});

export const getLlmProviderEndpoint = endpoint({
  method: "GET", path: "/llm/providers/{id}", operationId: "getLlmProvider", tag: "LLM gateway", permission: "gateway.read", status: 200,
  summary: "One LLM provider", params: IdParams, query: NoQuery, response: ProviderOutput,
});

export const updateLlmProviderEndpoint = endpoint({
  method: "PATCH", path: "/llm/providers/{id}", operationId: "updateLlmProvider", tag: "LLM gateway", permission: "gateway.manage", status: 200,
  summary: "Change an LLM provider (only the fields sent; apiKey omitted keeps the key, null removes it)",
  params: IdParams, query: NoQuery, body: UpdateProviderInput, response: ProviderOutput,
});

export const deleteLlmProviderEndpoint = endpoint({
  method: "DELETE", path: "/llm/providers/{id}", operationId: "deleteLlmProvider", tag: "LLM gateway", permission: "gateway.manage", status: 200,
  summary: "Remove an LLM provider; answers the removed provider", params: IdParams, query: NoQuery, response: ProviderOutput,
});

export const listLlmPricesEndpoint = endpoint({
  method: "GET", path: "/llm/prices", operationId: "listLlmPrices", tag: "LLM gateway", permission: "gateway.read", status: 200,
  summary: "The price table in force (USD per million tokens): the saved one, or the built-in defaults (source \"default\")",
  query: NoQuery, response: PricesOutput,
});

export const putLlmPricesEndpoint = endpoint({
  method: "PUT", path: "/llm/prices", operationId: "putLlmPrices", tag: "LLM gateway", permission: "gateway.manage", status: 200,
  summary: "Replace the whole price table; it reaches the edge with the next publish",
  query: NoQuery, body: PutPricesInput, response: PricesOutput,
});

export const resetLlmPricesEndpoint = endpoint({
  method: "POST", path: "/llm/prices/reset", operationId: "resetLlmPrices", tag: "LLM gateway", permission: "gateway.manage", status: 200,
  summary: "Forget the saved price table: the built-in defaults apply again",
  query: NoQuery, response: PricesOutput,
});

export const getUsageEndpoint = endpoint({
  method: "GET", path: "/usage", operationId: "getUsage", tag: "Usage", permission: "usage.read", status: 200,
  summary: "Usage over a time range: MCP context tokens by server and tool, LLM calls, tokens and spend by model, user, team and day",
  description:
    "Default range: the last 30 UTC days up to now; at most 366 days (400 when longer, or when from is not before to). Security and admins see everyone's usage and may filter by teamId and userId; everyone else sees only their own (userId is forced to theirs, and filters.ownUsageOnly is true). LLM tokens and cost count allowed calls only, like budgets.",
  query: UsageQuery, response: UsageOutput,
});

export const ingestTrafficEndpoint = endpoint({
  method: "POST", path: "/traffic", operationId: "ingestTraffic", tag: "Shadow MCP", permission: "shadow.triage", status: 200,
  summary: "Upload a traffic log (NDJSON, streamed): shadow MCP servers in it become findings",
  description:
    "One JSON object per line: Cloudflare Gateway HTTP Logpush (`gateway_http` fields) or generic proxy records (`ts`, `user`, `method`, `url`, `request_headers`, `request_body_prefix`, …). The format is detected per line unless `format` fixes it. A gzip body (`.log.gz`, as Logpush writes it) is recognized by its magic bytes and inflated as it streams. The body is read as it arrives (any size; memory stays bounded). Bad lines are counted and the first 100 reported with their line numbers. The findings are merged when the whole body has arrived, in one transaction: an upload cut short changes no finding. The same bytes uploaded again are recognized (`duplicateOf`) and not counted twice.",
  query: TrafficQuery, body: z.string().describe("NDJSON: one log record per line"), streamBody: "application/x-ndjson", response: TrafficIngestOutput,
});

export const listTrafficUploadsEndpoint = endpoint({
  method: "GET", path: "/traffic/uploads", operationId: "listTrafficUploads", tag: "Shadow MCP", permission: "shadow.read", status: 200,
  summary: "Recent traffic uploads with their counts and bad lines", query: NoQuery, response: z.object({ uploads: z.array(UploadOutput) }),
});

export const listFindingsEndpoint = endpoint({
  method: "GET", path: "/shadow/findings", operationId: "listShadowFindings", tag: "Shadow MCP", permission: "shadow.read", status: 200,
  summary: "Shadow MCP findings: canonical server URL, origin, users, first/last seen, counts, severity, state",
  query: ListFindingsQuery, response: z.object({ findings: z.array(FindingSummaryOutput) }),
});

export const getFindingEndpoint = endpoint({
  method: "GET", path: "/shadow/findings/{id}", operationId: "getShadowFinding", tag: "Shadow MCP", permission: "shadow.read", status: 200,
  summary: "One finding with its evidence (sample records), tools, clients and timeline", params: IdParams, query: NoQuery, response: FindingDetailOutput,
});

export const updateFindingEndpoint = endpoint({
  method: "PATCH", path: "/shadow/findings/{id}", operationId: "updateShadowFinding", tag: "Shadow MCP", permission: "shadow.triage", status: 200,
  summary: "Triage: move the state (new → investigating → resolved as approved / blocked / false positive), assign, add a note",
  description: "Resolving as blocked adds the server to the block list (its URL's path, or the whole origin with blockScope \"origin\"); it reaches the edge with the next publish. Reopening (investigating) a blocked finding removes its entry.",
  params: IdParams, query: NoQuery, body: UpdateFindingInput, response: FindingDetailOutput,
});

export const approveFindingEndpoint = endpoint({
  method: "POST", path: "/shadow/findings/{id}/approve", operationId: "approveShadowFinding", tag: "Shadow MCP", permission: "shadow.triage", status: 200,
  summary: "Resolve as approved and get the prefilled server registration request (console URL)",
  params: IdParams, query: NoQuery, body: z.strictObject({ note: z.string().trim().min(1).max(5000).optional() }),
  response: z.object({ finding: FindingDetailOutput, requestUrl: z.string().describe("Console path of the prefilled Request a server form") }),
});

export const shadowStatsEndpoint = endpoint({
  method: "GET", path: "/shadow/stats", operationId: "getShadowStats", tag: "Shadow MCP", permission: "shadow.read", status: 200,
  summary: "Chart data: new shadow servers per day (30 days), findings by state, top users, teams and hosts", query: NoQuery, response: ShadowStatsOutput,
});

export const ingestScanEndpoint = endpoint({
  method: "POST", path: "/shadow/scans", operationId: "reportLaptopScan", tag: "Shadow MCP", permission: "shadow.report-scan", status: 201,
  summary: "Report a laptop scan (`npm run scan -- --console URL --token T`): configured servers become findings",
  description: "The report is strict: unexpected fields are refused, so nothing but names and redacted forms can arrive. Approved servers and the portal itself are not findings; stdio servers are keyed by their redacted command line.",
  query: NoQuery, body: ScanReportInput, response: ScanIngestOutput,
});

export const listBlocksEndpoint = endpoint({
  method: "GET", path: "/shadow/blocklist", operationId: "listBlockList", tag: "Shadow MCP", permission: "shadow.read", status: 200,
  summary: "The block list the edge enforces after the next publish", query: NoQuery, response: z.object({ entries: z.array(BlockEntryOutput) }),
});

export const createBlockEndpoint = endpoint({
  method: "POST", path: "/shadow/blocklist", operationId: "addToBlockList", tag: "Shadow MCP", permission: "shadow.triage", status: 201,
  summary: "Block a URL (its path and below) or a whole origin by hand", query: NoQuery, body: CreateBlockInput, response: BlockEntryOutput,
});

export const deleteBlockEndpoint = endpoint({
  method: "DELETE", path: "/shadow/blocklist/{id}", operationId: "removeFromBlockList", tag: "Shadow MCP", permission: "shadow.triage", status: 204,
  summary: "Remove an entry (its finding, if any, is reopened as investigating)", params: IdParams, query: NoQuery,
});

export const gatewayPolicyExportEndpoint = endpoint({
  method: "GET", path: "/shadow/exports/gateway-policy", operationId: "exportGatewayPolicy", tag: "Shadow MCP", permission: "shadow.read", status: 200,
  summary: "The block list as a Cloudflare Zero Trust Gateway HTTP policy (body for POST /accounts/{account_id}/gateway/rules)",
  query: NoQuery, response: z.record(z.string(), z.unknown()), errors: { 409: "The block list is empty (code CONFLICT)" },
});

export const dlpProfileExportEndpoint = endpoint({
  method: "GET", path: "/shadow/exports/dlp-profile", operationId: "exportDlpProfile", tag: "Shadow MCP", permission: "shadow.read", status: 200,
  summary: "A Cloudflare DLP custom profile that detects MCP JSON-RPC in request bodies (body for POST /accounts/{account_id}/dlp/profiles/custom)",
  query: NoQuery, response: z.record(z.string(), z.unknown()),
});

export const ALL_ENDPOINTS = [
  listServersEndpoint,
  registerServerEndpoint,
  getServerEndpoint,
  syncServerEndpoint,
  approveServerEndpoint,
  rejectServerEndpoint,
  getMe,
  listTokensEndpoint,
  createTokenEndpoint,
  revokeTokenEndpoint,
  listUsersEndpoint,
  createUserEndpoint,
  getUserEndpoint,
  updateUserEndpoint,
  listTeamsEndpoint,
  createTeamEndpoint,
  getTeamEndpoint,
  updateTeamEndpoint,
  deleteTeamEndpoint,
  listTeamMembersEndpoint,
  putTeamMemberEndpoint,
  deleteTeamMemberEndpoint,
  ingestEventsEndpoint,
  listAuditEventsEndpoint,
  getServerAccessEndpoint,
  setServerAccessEndpoint,
  publishConfigEndpoint,
  pushConfigEndpoint,
  rollbackConfigEndpoint,
  listDeploymentsEndpoint,
  getDeploymentEndpoint,
  diffConfigEndpoint,
  listPoliciesEndpoint,
  createPolicyEndpoint,
  getPolicyEndpoint,
  updatePolicyEndpoint,
  deletePolicyEndpoint,
  simulatePolicyEndpoint,
  exportPoliciesEndpoint,
  importPoliciesEndpoint,
  policyImpactEndpoint,
  listRateLimitsEndpoint,
  createRateLimitEndpoint,
  getRateLimitEndpoint,
  updateRateLimitEndpoint,
  deleteRateLimitEndpoint,
  listBudgetsEndpoint,
  createBudgetEndpoint,
  budgetStatusEndpoint,
  listBudgetAlertsEndpoint,
  getBudgetEndpoint,
  updateBudgetEndpoint,
  deleteBudgetEndpoint,
  listLlmProvidersEndpoint,
  createLlmProviderEndpoint,
  getLlmProviderEndpoint,
  updateLlmProviderEndpoint,
  deleteLlmProviderEndpoint,
  listLlmPricesEndpoint,
  putLlmPricesEndpoint,
  resetLlmPricesEndpoint,
  getUsageEndpoint,
  ingestTrafficEndpoint,
  listTrafficUploadsEndpoint,
  listFindingsEndpoint,
  getFindingEndpoint,
  updateFindingEndpoint,
  approveFindingEndpoint,
  shadowStatsEndpoint,
  ingestScanEndpoint,
  listBlocksEndpoint,
  createBlockEndpoint,
  deleteBlockEndpoint,
  gatewayPolicyExportEndpoint,
  dlpProfileExportEndpoint,
];
