import Link from "next/link";
import type { ReactNode } from "react";
import { Badge } from "@/components/ui/badge";
import { Table } from "@/components/ui/table";
import type { McpEventOutput } from "@/lib/audit/schemas";
import { EventDetails } from "./event-details";

function target(e: McpEventOutput): { kind: string; name: string } | null {
  if (e.tool) return { kind: "tool", name: e.tool };
  if (e.prompt) return { kind: "prompt", name: e.prompt };
  if (e.resourceUri) return { kind: "resource", name: e.resourceUri };
  return null;
}

/** A cell of the log table: tight padding, and content that never widens the column (it truncates). */
function Cell({ children, className = "" }: { children: ReactNode; className?: string }) {
  return <td className={`overflow-hidden px-2 py-1.5 align-top text-xs ${className}`}>{children}</td>;
}

/** One line that ends in "…" when it does not fit, the whole value in its tooltip. */
function Clip({ text, title, className = "" }: { text: ReactNode; title: string; className?: string }) {
  return (
    <span className={`block truncate ${className}`} title={title}>
      {text}
    </span>
  );
}

const none = <span className="text-zinc-400">—</span>;

/**
 * The portal's MCP calls, as the Audit page lists them (newest first, as given). Laid out as log
 * explorers do, to fit a 1280-px screen without scrolling sideways: fixed columns, secondary fields
 * (how the user signed in, the client) folded under the user, long values cut to one line with the
 * whole value in a tooltip, and every field in the event's drawer (Details).
 */
export function PortalEventsTable({ events, empty }: { events: McpEventOutput[]; empty: ReactNode }) {
  return (
    <Table
      head={["Time (UTC)", "User · client", "Method", "Server", "Tool / prompt / resource", "Decision", "ms", "Tokens", ""]}
      columns={["w-[7.5rem]", "w-[18%]", "w-[6.5rem]", "w-[9%]", "", "w-[8.5rem]", "w-12", "w-14", "w-[4.5rem]"]}
      empty={empty}
    >
      {events.map((e) => {
        const t = target(e);
        const client = [e.clientName, e.clientVersion].filter(Boolean).join(" ");
        return (
          <tr key={e.id} data-testid="event-row">
            <Cell className="whitespace-nowrap font-mono">
              <span title={e.time}>{e.time.slice(5, 19).replace("T", " ")}</span>
            </Cell>
            <Cell>
              {e.email ? <Clip text={e.email} title={e.email} /> : e.userId ? <Clip text={e.userId.slice(0, 8)} title={e.userId} className="font-mono" /> : <span className="text-zinc-400">anonymous</span>}
              {(e.authMethod || client) && (
                <Clip
                  className="text-zinc-500"
                  text={[e.authMethod && (e.authMethod === "oauth" ? "OAuth" : "API token"), client].filter(Boolean).join(" · ")}
                  title={[e.authMethod && `Signed in with ${e.authMethod === "oauth" ? "OAuth" : "an API token"}`, client && `Client: ${client}`].filter(Boolean).join("\n")}
                />
              )}
            </Cell>
            <Cell className="font-mono">
              <Clip text={e.method} title={e.method} />
              {e.via === "codemode" && (
                <div className="mt-0.5 whitespace-nowrap font-sans" data-testid="event-codemode">
                  <Badge tone="indigo">Code Mode</Badge>
                  {e.parentId ? (
                    <Link className="mt-0.5 block text-indigo-700 hover:underline" href={`/audit?${new URLSearchParams({ via: "codemode", parent: e.parentId })}`} title="The other calls of the same execute">
                      from execute
                    </Link>
                  ) : e.method === "tools/call" && (e.tool === "execute" || e.tool === "code") ? (
                    <Link className="mt-0.5 block text-indigo-700 hover:underline" href={`/audit?${new URLSearchParams({ via: "codemode", parent: e.id })}`}>
                      its tool calls
                    </Link>
                  ) : null}
                </div>
              )}
            </Cell>
            <Cell className="font-mono">{e.serverSlug ? <Clip text={e.serverSlug} title={e.serverSlug} /> : none}</Cell>
            <Cell className="font-mono">{t ? <Clip text={t.name} title={`${t.kind}: ${t.name}`} /> : none}</Cell>
            <Cell>
              {/* The portal's decision, and for an allowed call whether the upstream succeeded. */}
              <span className="inline-flex gap-1">
                <Badge tone={e.decision === "allowed" ? "green" : "red"}>{e.decision}</Badge>
                {e.decision === "allowed" && (e.success ? <Badge tone="green">ok</Badge> : <Badge tone="amber">error</Badge>)}
              </span>
              {e.reason && <Clip text={e.reason} title={e.reason} className="mt-0.5 text-zinc-500" />}
              {e.decision === "allowed" && !e.success && e.error && <Clip text={e.error} title={e.error} className="mt-0.5 text-zinc-500" />}
            </Cell>
            <Cell className="text-right font-mono">{e.durationMs ?? "—"}</Cell>
            <Cell className="text-right font-mono">{e.resultTokens ?? "—"}</Cell>
            <Cell className="whitespace-nowrap">
              <EventDetails event={e} />
            </Cell>
          </tr>
        );
      })}
    </Table>
  );
}
