import type { ImpactOutput } from "@/lib/policies/schemas";
import { count } from "@core/text/count";
import { Badge } from "../ui/badge";
import { Table, Td } from "../ui/table";

/** Who gains or loses which tools with the next publish (lib/policies/impact.ts). */
export function ImpactView({ impact }: { impact: ImpactOutput }) {
  if (impact.gained + impact.lost === 0) {
    return (
      <p className="text-sm text-zinc-600" data-testid="impact-none">
        No one gains or loses a tool {impact.deployedVersion === null ? "(nothing is deployed yet, and the draft grants nothing)" : `compared with v${impact.deployedVersion}`}.
      </p>
    );
  }
  return (
    <div className="space-y-2" data-testid="impact">
      <p className="text-sm">
        Compared with {impact.deployedVersion === null ? "nothing deployed" : `v${impact.deployedVersion}`}: <span className="font-medium text-emerald-700">{count(impact.gained, "grant")}</span> gained,{" "}
        <span className="font-medium text-red-700">{count(impact.lost, "grant")}</span> lost (user × tool).
        {impact.truncated && ` Showing the first ${impact.changes.length}.`}
        {!impact.complete && " The preview stopped early: too many users × tools to evaluate."}
      </p>
      <Table head={["Change", "Tool", "User", "Teams", "Because"]}>
        {impact.changes.map((c) => (
          <tr key={`${c.change}-${c.server}-${c.tool}-${c.user.id}`} data-testid="impact-row">
            <Td>
              <Badge tone={c.change === "gained" ? "green" : "red"}>{c.change}</Badge>
            </Td>
            <Td className="font-mono text-xs">
              {c.server}_{c.tool}
            </Td>
            <Td>{c.user.email}</Td>
            <Td className="text-xs">{c.user.teams.join(", ") || "—"}</Td>
            <Td className="text-xs">{c.because}</Td>
          </tr>
        ))}
      </Table>
      <p className="text-xs text-zinc-500">Evaluated now (UTC) without a client address: a policy that needs an address counts as a deny, never as an allow.</p>
    </div>
  );
}
