import type { Metadata } from "next";
import { DownloadButton, ImportForm } from "@/components/policies/policy-file";
import { PolicyEditor } from "@/components/policies/policy-editor";
import { Simulator } from "@/components/policies/simulator";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { NameCell, Table, Td } from "@/components/ui/table";
import { can } from "@/lib/auth/actor";
import { requirePage } from "@/lib/auth/page";
import { ACCESS_RULE_PRIORITY } from "@/lib/config/compile-bundle";
import { policyOptions } from "@/lib/policies/options";
import { listPolicies } from "@/lib/policies/queries";
import { renderPolicyDocument } from "@/lib/policies/export-policies";
import type { PolicyOutput } from "@/lib/policies/schemas";
import { toPolicyInput } from "@/lib/policies/store";
import { count } from "@core/text/count";
import { createPolicyAction, deletePolicyAction, importPoliciesAction, simulatePolicyAction, updatePolicyAction } from "./actions";
import { EditDeleteCells, EditorCard, PublishLink } from "@/components/ui/row-actions";

export const metadata: Metadata = { title: "Policies" };

const DAY_ORDER = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

function conditionsText(p: PolicyOutput): string {
  const c = p.conditions;
  if (!c) return "—";
  const parts: string[] = [];
  if (c.timeWindow) {
    const days = c.timeWindow.days ? [...c.timeWindow.days].sort((a, b) => DAY_ORDER.indexOf(a) - DAY_ORDER.indexOf(b)).join(" ") + " " : "";
    parts.push(`${days}${c.timeWindow.start}–${c.timeWindow.end} UTC`);
  }
  if (c.clientCidrs) parts.push(`from ${c.clientCidrs.join(", ")}`);
  return parts.join("; ");
}

export default async function PoliciesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const ctx = await requirePage("policies.read");
  const sp = await searchParams;
  const canManage = can(ctx.actor, "policies.manage");
  const [list, options] = await Promise.all([listPolicies(ctx), policyOptions(ctx)]);
  const editing = typeof sp.edit === "string" ? list.find((p) => p.id === sp.edit) : undefined;
  const yaml = renderPolicyDocument(list.map(toPolicyInput), "yaml");
  const json = renderPolicyDocument(list.map(toPolicyInput), "json");

  return (
    <div className="space-y-6">
      <PageHeader
        title="Policies"
        description={
          <>
            Who may call which tools, from where and when. The highest priority decides, deny wins at equal priority, and nothing matching means deny. Server access (Servers → Access) adds allow rules at priority {ACCESS_RULE_PRIORITY}. Changes reach the edge when you <PublishLink />.
          </>
        }
        actions={
          <div className="flex gap-2">
            <DownloadButton content={yaml} filename="portcullis-policies.yaml" type="application/yaml" label="Export YAML" />
            <DownloadButton content={json} filename="portcullis-policies.json" type="application/json" label="Export JSON" />
          </div>
        }
      />

      <Card title={`Policies (${list.length})`} description="In decision order.">
        <Table head={["Priority", "Effect", "Name", "Who", "Server / tool", "Conditions", "", ""]} empty="No policies yet: only server access grants apply.">
          {list.map((p) => (
            <tr key={p.id} data-testid="policy-row" className={p.enabled ? "" : "opacity-50"}>
              <Td className="tabular-nums">{p.priority}</Td>
              <Td>
                <Badge tone={p.effect === "deny" ? "red" : "green"}>{p.effect}</Badge>
              </Td>
              <NameCell name={p.name} enabled={p.enabled}>
                {p.description && <span className="block text-xs text-zinc-500">{p.description}</span>}
              </NameCell>
              <Td className="font-mono text-xs">{p.subject}</Td>
              <Td className="font-mono text-xs">
                {p.server} / {p.tool}
              </Td>
              <Td className="text-xs">{conditionsText(p)}</Td>
              <EditDeleteCells canManage={canManage} editHref={`/policies?edit=${p.id}`} action={deletePolicyAction} id={p.id} confirm={`Delete policy "${p.name}"?`} />
            </tr>
          ))}
        </Table>
      </Card>

      <div className="grid gap-6 lg:grid-cols-2">
        {canManage && (
          <EditorCard editing={editing} newTitle="New policy" pageHref="/policies">
            <PolicyEditor action={editing ? updatePolicyAction : createPolicyAction} policy={editing} servers={options.servers} subjects={options.subjects} />
          </EditorCard>
        )}
        <Card title="Simulator" description={`Would this call be allowed? Runs the edge's own checks. ${count(options.tools.length, "enabled tool")}.`}>
          <Simulator action={simulatePolicyAction} users={options.users} tools={options.tools} />
        </Card>
      </div>

      {canManage && (
        <Card title="Policy as code" description="Paste a file exported here or from another console. A file with any error changes nothing. Also: GET /api/v1/policies/export, POST /api/v1/policies/import.">
          <ImportForm key={yaml} action={importPoliciesAction} initial={yaml} />
        </Card>
      )}
    </div>
  );
}
