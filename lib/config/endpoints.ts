import { z } from "zod";
import { AuditDetailInput, AuditDetailOutput } from "@/lib/audit/detail-settings";
import { endpoint, NoQuery } from "@/lib/api/endpoint";
import { CodemodeSettingsInput, CodemodeSettingsOutput } from "@/lib/codemode/settings";
import { BundleDiffOutput, DeploymentDetailOutput, DeploymentOutput, DiffQuery, PublishOutput, PushOutput, RollbackConfigInput, VersionText } from "./schemas";

/** The public API contracts of this domain (routes under app/api/v1; the OpenAPI document is built from them). */

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

export const getCodemodeEndpoint = endpoint({
  method: "GET", path: "/config/codemode", operationId: "getCodemodeSettings", tag: "Configuration", permission: "portal.read", status: 200,
  summary: "The portal's Code Mode setting: off, opt-in (?codemode=…), default (on unless ?codemode=off) or enforced, and the shape when on by default",
  query: NoQuery, response: CodemodeSettingsOutput,
});

export const updateCodemodeEndpoint = endpoint({
  method: "PUT", path: "/config/codemode", operationId: "updateCodemodeSettings", tag: "Configuration", permission: "config.publish", status: 200,
  summary: "Change the portal's Code Mode setting; it reaches the portal with the next publish",
  query: NoQuery, body: CodemodeSettingsInput, response: CodemodeSettingsOutput,
});

export const getAuditDetailEndpoint = endpoint({
  method: "GET", path: "/config/audit-detail", operationId: "getAuditDetail", tag: "Configuration", permission: "portal.read", status: 200,
  summary: "What audit events keep of tool calls: masked (arguments and result excerpts, credentials and e-mail addresses masked; the default), secrets (credentials masked) or off",
  query: NoQuery, response: AuditDetailOutput,
});

export const updateAuditDetailEndpoint = endpoint({
  method: "PUT", path: "/config/audit-detail", operationId: "updateAuditDetail", tag: "Configuration", permission: "policies.manage", status: 200,
  summary: "Change what audit events keep of tool calls; it reaches the portal with the next publish",
  query: NoQuery, body: AuditDetailInput, response: AuditDetailOutput,
});
