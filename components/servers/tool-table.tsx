import type { FormAction } from "@/lib/auth/action-result";
import type { ToolOutput } from "@/lib/servers/schemas";
import type { ToolApprovalOutput } from "@/lib/servers/set-tool-approval";
import { ToolApprovalControl } from "./tool-approval";
import { Table, Td } from "../ui/table";
import { SeverityBadge, ToolStateBadge } from "./badges";

type JsonSchema = { type?: unknown; properties?: Record<string, JsonSchema>; required?: string[]; description?: string; items?: JsonSchema; enum?: unknown[] };

function typeLabel(s: JsonSchema | undefined): string {
  if (!s) return "unknown";
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (s.type === "array") return `${typeLabel(s.items)}[]`;
  return Array.isArray(s.type) ? s.type.join(" | ") : typeof s.type === "string" ? s.type : "object";
}

function Parameters({ schema }: { schema: unknown }) {
  const s = (schema ?? {}) as JsonSchema;
  const props = Object.entries(s.properties ?? {});
  if (props.length === 0) return <span className="text-zinc-400">none</span>;
  const required = new Set(s.required ?? []);
  return (
    <ul className="space-y-0.5">
      {props.map(([name, p]) => (
        <li key={name} title={p.description}>
          <code className="font-mono">
            {name}
            {required.has(name) ? "" : "?"}
          </code>
          <span className="text-zinc-500">: {typeLabel(p)}</span>
        </li>
      ))}
    </ul>
  );
}

/** `approval`: the server's id and, for reviewers, the action that sets a tool's Code Mode approval flag. */
export function ToolTable({ tools, approval }: { tools: ToolOutput[]; approval?: { serverId: string; action?: FormAction<ToolApprovalOutput> } }) {
  return (
    <Table head={["Tool", "State", "Parameters", "Findings", "Tokens (JSON / TS)", ...(approval ? ["Approval (Code Mode)"] : []), "Hash"]} empty="This server offers no tools.">
      {tools.map((t) => (
        <tr key={t.name} data-testid="tool-row" className={t.state === "removed" ? "opacity-50" : ""}>
          <Td className="max-w-md">
            <code className="font-mono text-sm font-medium">{t.name}</code>
            {t.description && <p className="mt-0.5 line-clamp-3 text-xs whitespace-pre-line text-zinc-600">{t.description}</p>}
            {t.quarantineReason && <p className="mt-0.5 text-xs text-red-700">{t.quarantineReason}</p>}
          </Td>
          <Td>
            <ToolStateBadge state={t.state} />
          </Td>
          <Td className="text-xs">
            <Parameters schema={t.definition.inputSchema} />
          </Td>
          <Td className="text-xs">
            {t.findings.length === 0 ? (
              <span className="text-zinc-400">none</span>
            ) : (
              <ul className="space-y-1">
                {t.findings.map((f, i) => (
                  <li key={i} className="flex items-start gap-1">
                    <SeverityBadge severity={f.severity} />
                    <span>
                      {f.message} <span className="text-zinc-500">in {f.field}</span>
                      <code className="block max-w-xs truncate font-mono text-[11px] text-zinc-500" title={f.match}>
                        {f.match}
                      </code>
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </Td>
          <Td className="text-xs whitespace-nowrap text-zinc-600">
            {t.tokens.json} / {t.tokens.typescript}
          </Td>
          {approval && (
            <Td>
              <div data-testid="tool-approval">
                <ToolApprovalControl serverId={approval.serverId} tool={t.name} approval={t.approval} action={approval.action} />
              </div>
            </Td>
          )}
          <Td>
            <code className="font-mono text-[11px] text-zinc-500" title={`current ${t.hash}\npinned ${t.pinnedHash ?? "—"}`}>
              {t.hash.slice(0, 12)}
            </code>
            {t.pinnedHash && t.pinnedHash !== t.hash && <span className="block text-[11px] text-red-700">≠ pinned</span>}
          </Td>
        </tr>
      ))}
    </Table>
  );
}
