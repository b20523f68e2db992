import { endpoint, NoQuery } from "@/lib/api/endpoint";
import { resourceEndpoints } from "@/lib/api/resource-endpoints";
import { ExportPoliciesOutput, ExportPoliciesQuery, ImpactOutput, ImportPoliciesInput, ImportPoliciesOutput, PolicyInput, PolicyOutput, SimulateInput, SimulateOutput, UpdatePolicyInput } from "./schemas";

/** The public API contracts of this domain (routes under app/api/v1; the OpenAPI document is built from them). */

export const {
  list: listPoliciesEndpoint,
  create: createPolicyEndpoint,
  get: getPolicyEndpoint,
  update: updatePolicyEndpoint,
  delete: deletePolicyEndpoint,
} = resourceEndpoints({
  path: "/policies",
  tag: "Policies",
  name: { one: "Policy", many: "Policies", listKey: "policies" },
  permissions: { read: "policies.read", manage: "policies.manage" },
  schemas: { output: PolicyOutput, create: PolicyInput, update: UpdatePolicyInput },
  summaries: {
    list: "Every access policy, in decision order (priority, then deny before allow)",
    create: "Create an access policy; it reaches the edge with the next publish",
    get: "One access policy",
    update: "Change an access policy (only the fields sent)",
    delete: "Delete an access policy; answers the deleted policy",
  },
  descriptions: {
    create:
      "Subjects: everyone, user:<e-mail>, team:<slug>, group:<IdP group>, domain:<example.com>, token:<id>. The highest priority among matching policies decides; at equal priority deny wins; nothing matching denies. 409 when the name is taken.",
  },
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
  // Room for a 5,000,000-character file as a JSON string.
  maxBodyBytes: 6_000_000,
  query: NoQuery, body: ImportPoliciesInput, response: ImportPoliciesOutput,
});

export const policyImpactEndpoint = endpoint({
  method: "GET", path: "/policies/impact", operationId: "previewPolicyImpact", tag: "Policies", permission: "policies.read", status: 200,
  summary: "Before publishing: which users gain or lose which tools compared with the deployed bundle",
  query: NoQuery, response: ImpactOutput,
});
