/**
 * Policy as code, out: every policy as one YAML or JSON file. It names users by e-mail and teams
 * by slug, so a file moves between consoles (./import-policies.ts reads it back).
 */
import { stringify as stringifyYaml } from "yaml";
import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { ExportPoliciesQuery, type ExportPoliciesOutput, type PolicyFormat, type PolicyInput } from "./schemas";
import { fromStoredConditions, listPolicyRows, toStoredConditions, subjectNames, toPolicyInput, toPolicyOutput } from "./store";

/** The file's form of a policy: defaults left out, so files stay short and diff well. */
export function policyFileEntry(p: PolicyInput): Record<string, unknown> {
  // Stored form and back: days in week order, so an unchanged policy compares equal.
  const conditions = fromStoredConditions(toStoredConditions(p.conditions));
  return {
    name: p.name,
    ...(p.description ? { description: p.description } : {}),
    effect: p.effect,
    subject: p.subject,
    server: p.server,
    tool: p.tool,
    priority: p.priority,
    ...(conditions ? { conditions } : {}),
    ...(p.enabled ? {} : { enabled: false }),
  };
}

export function renderPolicyDocument(list: readonly PolicyInput[], format: PolicyFormat): string {
  const doc = { version: 1, policies: list.map(policyFileEntry) };
  if (format === "json") return JSON.stringify(doc, null, 2) + "\n";
  return "# Portcullis access policies. Import: Policies page → Import, or POST /api/v1/policies/import\n" + stringifyYaml(doc, { lineWidth: 0 });
}

export async function exportPolicies({ db, actor }: Ctx, rawQuery: unknown): Promise<ExportPoliciesOutput> {
  authorize(actor, "policies.read");
  const { format } = ExportPoliciesQuery.parse(rawQuery);
  const rows = await listPolicyRows(db);
  const names = await subjectNames(db, rows);
  const list = rows.map((r) => toPolicyInput(toPolicyOutput(r, names)));
  return { format, content: renderPolicyDocument(list, format), count: list.length };
}
