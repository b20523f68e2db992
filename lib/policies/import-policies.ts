/**
 * Policy as code: every policy as one YAML or JSON file, and back. Export writes names (user
 * e-mails, team slugs), so a file moves between consoles; import validates the whole file first
 * (syntax, schema, every subject resolvable, unique names) and then applies it in one transaction,
 * audited as one change — a bad file changes nothing.
 *
 * - merge: policies in the file are created or updated by name (case-insensitive); others stay.
 * - replace: the file becomes the complete set; policies not in it are deleted.
 * - dryRun: the same report, nothing written.
 */
import { eq, inArray } from "drizzle-orm";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { policies } from "@/db/schema";
import { authorize } from "../auth/actor";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";
import { ValidationError } from "../errors";
import { canonicalJson } from "@core/tools/tool-hash";
import { ImportPoliciesInput, PolicyDocument, type ImportPoliciesOutput, type PolicyFormat } from "./schemas";
import { policyFileEntry } from "./export-policies";
import { listPolicyRows, resolvePolicyValues, subjectNames, toPolicyInput, toPolicyOutput } from "./store";

/** Parses a policy file; every problem becomes a ValidationError naming where it is. */
export function parsePolicyDocument(content: string, format: PolicyFormat): PolicyDocument {
  let data: unknown;
  try {
    data = format === "json" ? JSON.parse(content) : parseYaml(content, { maxAliasCount: 100 });
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` (line ${error.linePos[0].line})` : "";
    throw new ValidationError(`The file is not valid ${format.toUpperCase()}${where}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`, { content: "syntax error" });
  }
  const parsed = PolicyDocument.safeParse(data);
  if (!parsed.success) {
    const fields: Record<string, string> = {};
    for (const issue of parsed.error.issues.slice(0, 50)) fields[issue.path.join(".") || "content"] = issue.message;
    const first = Object.entries(fields)[0]!;
    throw new ValidationError(`The policy file is invalid: ${first[0]}: ${first[1]}${parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : ""}`, fields);
  }
  const seen = new Map<string, number>();
  parsed.data.policies.forEach((p, i) => {
    const key = p.name.toLowerCase();
    if (seen.has(key)) throw new ValidationError(`The policy file names "${p.name}" twice (policies ${seen.get(key)} and ${i})`, { [`policies.${i}.name`]: "duplicate name" });
    seen.set(key, i);
  });
  return parsed.data;
}

export async function importPolicies({ db, actor }: Ctx, rawInput: unknown): Promise<ImportPoliciesOutput> {
  authorize(actor, "policies.manage");
  const input = ImportPoliciesInput.parse(rawInput);
  const doc = parsePolicyDocument(input.content, input.format);
  return db.transaction(async (tx) => {
    const values = await resolvePolicyValues(tx, doc.policies, (i) => `policies.${i}.subject`);
    const rows = await listPolicyRows(tx);
    const names = await subjectNames(tx, rows);
    const existing = new Map(rows.map((r) => [r.name.toLowerCase(), { row: r, input: toPolicyInput(toPolicyOutput(r, names)) }]));
    const report: ImportPoliciesOutput = { dryRun: input.dryRun, created: [], updated: [], deleted: [], unchanged: 0 };
    const inFile = new Set<string>();
    for (const [i, p] of doc.policies.entries()) {
      const key = p.name.toLowerCase();
      inFile.add(key);
      const found = existing.get(key);
      if (!found) {
        report.created.push(p.name);
        if (!input.dryRun) await tx.insert(policies).values({ ...values[i]!, createdBy: actor.userId });
      } else if (canonicalJson(policyFileEntry(found.input)) !== canonicalJson(policyFileEntry(p))) {
        report.updated.push(p.name);
        if (!input.dryRun) await tx.update(policies).set({ ...values[i]!, updatedAt: new Date() }).where(eq(policies.id, found.row.id));
      } else {
        report.unchanged += 1;
      }
    }
    if (input.mode === "replace") {
      const gone = rows.filter((r) => !inFile.has(r.name.toLowerCase()));
      report.deleted = gone.map((r) => r.name);
      if (!input.dryRun && gone.length) await tx.delete(policies).where(inArray(policies.id, gone.map((r) => r.id)));
    }
    if (!input.dryRun && (report.created.length || report.updated.length || report.deleted.length)) {
      await recordAudit(tx, actor, {
        action: "policy.import",
        targetType: "policy",
        details: { mode: input.mode, format: input.format, created: report.created, updated: report.updated, deleted: report.deleted, unchanged: report.unchanged },
      });
    }
    return report;
  });
}
