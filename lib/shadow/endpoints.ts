import { z } from "zod";
import { endpoint, IdParams, NoQuery } from "@/lib/api/endpoint";
import { ScanReportInput } from "@core/laptop-scan/report";
import { AffectedQuery, BlockEntryOutput, BlockImpactOutput, BlockNoticeOutput, CreateBlockInput, CreatedLogpushJobOutput, CreateLogpushJobInput, FindingAdoptionOutput, FindingDetailOutput, FindingsPageOutput, ListFindingsQuery, LogpushIngestOutput, LogpushJobOutput, NotifyBlockInput, ScanIngestOutput, ShadowStatsOutput, TrafficIngestOutput, TrafficQuery, UpdateBlockInput, UpdateFindingInput, UploadOutput } from "./schemas";
import { LOGPUSH_MAX_BYTES } from "./logpush";

/** The public API contracts of this domain (routes under app/api/v1; the OpenAPI document is built from them). */

export const ingestTrafficEndpoint = endpoint({
  method: "POST", path: "/traffic", operationId: "ingestTraffic", tag: "Shadow MCP", permission: "shadow.triage", status: 200,
  summary: "Upload a traffic log (NDJSON, streamed): shadow MCP servers in it become findings",
  description:
    "One JSON object per line: Cloudflare Gateway HTTP Logpush (`gateway_http` fields) or generic proxy records (`ts`, `user`, `method`, `url`, `request_headers`, `request_body_prefix`, …). The format is detected per line unless `format` fixes it. A gzip body (`.log.gz`, as Logpush writes it) is recognized by its magic bytes and inflated as it streams. The body is read as it arrives (any size; memory stays bounded). Bad lines are counted and the first 100 reported with their line numbers. The findings are merged every 50,000 lines, each chunk in its own transaction, so they appear while a big file still streams (`GET /traffic/uploads` shows `committedLines`); an upload cut short keeps the chunks committed before, and its error says at which line it stopped. A chunk uploaded again — the same file, or the rest of one that broke off — is recognized by its lines and not counted twice (`duplicateOf` when every chunk was).",
  query: TrafficQuery, body: z.string().describe("NDJSON: one log record per line"), streamBody: "application/x-ndjson", response: TrafficIngestOutput,
});

export const ingestLogpushEndpoint = endpoint({
  method: "POST", path: "/traffic/logpush", operationId: "ingestLogpushBatch", tag: "Shadow MCP", permission: null, auth: "logpush-secret", status: 200,
  summary: "Cloudflare Logpush HTTP destination: a batch of traffic logs from a Logpush job (Settings → Logpush), merged into findings as it arrives",
  description:
    "Point a Logpush job at it with the destination_conf that Settings → Logpush shows when the job is created: `https://<console>/api/v1/traffic/logpush?header_X-Portcullis-Logpush-Secret=<secret>` (Logpush sends each `header_` parameter as a request header). The body is NDJSON in the job's format (gzip as Logpush sends it, or plain), read as it arrives and refused past " +
    `${LOGPUSH_MAX_BYTES.toLocaleString("en")} bytes, as received or after inflating (413). ` +
    "The batch is merged into findings in one transaction with its record. The same batch again (Logpush retries; same job, same lines) answers 200 with `duplicate: true` and stores nothing. Logpush's destination check (a gzip `{\"content\":\"tests\"}`, sent when the job is created) answers 200 with `test: true` and stores nothing. A missing, unknown or revoked secret is 401 and stores nothing.",
  body: z.string().describe("NDJSON: one log record per line, gzip or plain"), streamBody: "application/x-ndjson", response: LogpushIngestOutput,
  errors: { 413: `Body over ${LOGPUSH_MAX_BYTES.toLocaleString("en")} bytes, as received or after inflating (code PAYLOAD_TOO_LARGE)` },
});

export const listLogpushJobsEndpoint = endpoint({
  method: "GET", path: "/traffic/logpush/jobs", operationId: "listLogpushJobs", tag: "Shadow MCP", permission: "shadow.triage", status: 200,
  summary: "Logpush jobs (Settings → Logpush): format, batches, lines, rejected lines, the latest batch; never their secrets",
  query: NoQuery, response: z.object({ jobs: z.array(LogpushJobOutput) }),
});

export const createLogpushJobEndpoint = endpoint({
  method: "POST", path: "/traffic/logpush/jobs", operationId: "createLogpushJob", tag: "Shadow MCP", permission: "shadow.triage", status: 201,
  summary: "Create a Logpush job; the response carries its secret and the destination_conf for Cloudflare, exactly once",
  description: "The destination_conf names the console's public origin (AUTH_URL, else the request's host). Paste it as the Cloudflare Logpush job's HTTP destination (dataset gateway_http for the cloudflare format).",
  query: NoQuery, body: CreateLogpushJobInput, response: CreatedLogpushJobOutput,
});

export const revokeLogpushJobEndpoint = endpoint({
  method: "DELETE", path: "/traffic/logpush/jobs/{id}", operationId: "revokeLogpushJob", tag: "Shadow MCP", permission: "shadow.triage", status: 200,
  summary: "Revoke a Logpush job: its secret is refused from the next batch on; what it delivered stays",
  params: IdParams, query: NoQuery, response: LogpushJobOutput,
});

export const listTrafficUploadsEndpoint = endpoint({
  method: "GET", path: "/traffic/uploads", operationId: "listTrafficUploads", tag: "Shadow MCP", permission: "shadow.read", status: 200,
  summary: "Recent traffic uploads with their counts and bad lines", query: NoQuery, response: z.object({ uploads: z.array(UploadOutput) }),
});

export const listFindingsEndpoint = endpoint({
  method: "GET", path: "/shadow/findings", operationId: "listShadowFindings", tag: "Shadow MCP", permission: "shadow.read", status: 200,
  summary: "Shadow MCP findings: canonical server URL, origin, users, first/last seen, counts, severity, state, the detector's confidence; with candidates=1 the candidates (MCP evidence below the threshold) instead",
  description: "Sorted by `sort` (lastSeen, firstSeen, severity, users, requests) in `order` (desc by default), ties by id; `limit` rows a page (50 by default, at most 500). Keyset pagination: pass the `nextCursor` of a page as `cursor` for the next one, with the same filters, sort and order (a cursor from another sort or order is refused with 400).",
  query: ListFindingsQuery, response: FindingsPageOutput,
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
  summary: "Get the prefilled server registration request (console URL); the finding stays open until a server is registered from it (findingId), which resolves it as approved",
  params: IdParams, query: NoQuery, body: z.strictObject({ note: z.string().trim().min(1).max(5000).optional() }),
  response: z.object({ finding: FindingDetailOutput, requestUrl: z.string().describe("Console path of the prefilled Request a server form") }),
});

export const adoptFindingEndpoint = endpoint({
  method: "GET", path: "/shadow/findings/{id}/adoption", operationId: "getShadowFindingAdoption", tag: "Shadow MCP", permission: "shadow.triage", status: 200,
  summary: "Adopt a local (stdio) finding: the npx portcullis bridge command for each configuration the laptop scans reported (secrets as placeholders such as <GITHUB_TOKEN>), the environment variables it needs, the new-server alternative, and the prefilled registration request",
  description: "Changes nothing. Registering the server from `requestUrl` (or with `findingId` in POST /servers) links the finding and resolves it as approved.",
  params: IdParams, query: NoQuery, response: FindingAdoptionOutput,
});

export const shadowStatsEndpoint = endpoint({
  method: "GET", path: "/shadow/stats", operationId: "getShadowStats", tag: "Shadow MCP", permission: "shadow.read", status: 200,
  summary: "Chart data: new shadow servers per day (30 days), findings by state, top users, teams and hosts", query: NoQuery, response: ShadowStatsOutput,
});

export const ingestScanEndpoint = endpoint({
  method: "POST", path: "/shadow/scans", operationId: "reportLaptopScan", tag: "Shadow MCP", permission: "shadow.report-scan", status: 201,
  summary: "Report a laptop scan (`npm run scan -- --console URL --token T`): configured servers become findings",
  description: "The report is strict: unexpected fields are refused, so nothing but names and redacted forms can arrive. Approved servers and the portal itself are not findings; stdio servers are keyed by the package, image or script they launch (`npx -y pkg@1.2 /home/a` and `npx pkg@1.3 /home/b` are one finding): the finding shows the first command line, each stored report its own. Findings name the authenticated reporter, not the report's device user.",
  query: NoQuery, body: ScanReportInput, response: ScanIngestOutput,
  errors: { 429: "More than 60 reports in the last hour from this person (code TOO_MANY_REQUESTS)" },
});

export const listBlocksEndpoint = endpoint({
  method: "GET", path: "/shadow/blocklist", operationId: "listBlockList", tag: "Shadow MCP", permission: "shadow.read", status: 200,
  summary: "The block list the edge enforces after the next publish", query: NoQuery, response: z.object({ entries: z.array(BlockEntryOutput) }),
});

export const createBlockEndpoint = endpoint({
  method: "POST", path: "/shadow/blocklist", operationId: "addToBlockList", tag: "Shadow MCP", permission: "shadow.triage", status: 201,
  summary: "Block a URL (its path and below) or a whole origin by hand: now (mode block) or after a rollout (mode log until enforceAt)",
  description: 'mode "log" lets calls through, marked wouldBlock, until enforceAt (14 days from now when left out; null: until changed), when the edge starts refusing by itself without a publish. The entry reaches the edge with the next publish.',
  query: NoQuery, body: CreateBlockInput, response: BlockEntryOutput,
});

export const updateBlockEndpoint = endpoint({
  method: "PATCH", path: "/shadow/blocklist/{id}", operationId: "updateBlockListEntry", tag: "Shadow MCP", permission: "shadow.triage", status: 200,
  summary: "Change an entry's rollout: block now, log until another date (or until changed), or back to log",
  description: "Reaches the edge with the next publish; a log entry's switch to block at its enforceAt needs none. 409 when nothing changes.",
  params: IdParams, query: NoQuery, body: UpdateBlockInput, response: BlockEntryOutput,
});

export const blockImpactEndpoint = endpoint({
  method: "GET", path: "/shadow/blocklist/{id}/affected", operationId: "getBlockListEntryImpact", tag: "Shadow MCP", permission: "shadow.read", status: 200,
  summary: "Who the entry cuts off (or would): users, teams, clients and calls per day through the portal (refused vs. would-block), and the shadow traffic seen to the servers it covers",
  params: IdParams, query: AffectedQuery, response: BlockImpactOutput,
});

export const notifyBlockEndpoint = endpoint({
  method: "POST", path: "/shadow/blocklist/{id}/notify", operationId: "notifyBlockListEntry", tag: "Shadow MCP", permission: "shadow.triage", status: 201,
  summary: "Tell the people the entry covers: a notice on their console Overview, and a message to a chat webhook",
  description: 'Goes to everyone with an e-mail address in the entry\'s affected list (the last `days` days) and, with webhookUrl, to a Slack-compatible webhook (`{"text": message}`, through the SSRF guard). Audited; the webhook\'s outcome is in the answer. 400 when there is nobody to notify and no webhook.',
  params: IdParams, query: NoQuery, body: NotifyBlockInput,
  response: z.object({ notice: BlockNoticeOutput, recipients: z.array(z.string()).describe("E-mail addresses shown the notice in the console") }),
});

export const deleteBlockEndpoint = endpoint({
  method: "DELETE", path: "/shadow/blocklist/{id}", operationId: "removeFromBlockList", tag: "Shadow MCP", permission: "shadow.triage", status: 204,
  summary: "Remove an entry (its finding, if any, is reopened as investigating)", params: IdParams, query: NoQuery,
});

export const gatewayPolicyExportEndpoint = endpoint({
  method: "GET", path: "/shadow/exports/gateway-policy", operationId: "exportGatewayPolicy", tag: "Shadow MCP", permission: "shadow.read", status: 200,
  summary: "The block list as Cloudflare Zero Trust Gateway HTTP rules, each a body for POST /accounts/{account_id}/gateway/rules",
  description:
    "`rules` holds a block rule (action `block`) for the entries blocking now, and a log rule (action `allow`: Gateway logs each request under the rule that matched it) for the entries still in their log-first rollout, whose description names each entry's date to switch to block — Gateway cannot switch by itself, so export again on that date and replace both rules. Either is left out when no entry is in its mode. The log rule's traffic leaves out what the block rule matches; keep it below your other HTTP rules, since Allow stops evaluation. See docs/shadow-exports.md.",
  query: NoQuery,
  response: z.object({ rules: z.array(z.record(z.string(), z.unknown())).describe("Block rule first, then the log rule") }),
  errors: { 409: "The block list is empty (code CONFLICT)" },
});

export const dlpProfileExportEndpoint = endpoint({
  method: "GET", path: "/shadow/exports/dlp-profile", operationId: "exportDlpProfile", tag: "Shadow MCP", permission: "shadow.read", status: 200,
  summary: "A Cloudflare DLP custom profile that detects MCP JSON-RPC in request bodies (body for POST /accounts/{account_id}/dlp/profiles/custom)",
  query: NoQuery, response: z.record(z.string(), z.unknown()),
});
