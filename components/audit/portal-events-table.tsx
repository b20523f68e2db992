import Link from "next/link";
import type { ReactNode } from "react";
import { Badge } from "@/components/ui/badge";
import { Table, Td } from "@/components/ui/table";
import type { McpEventOutput } from "@/lib/audit/schemas";
import { EventDetails } from "./event-details";

function target(e: McpEventOutput): { kind: string; name: string } | null {
  if (e.tool) return { kind: "tool", name: e.tool };
  if (e.prompt) return { kind: "prompt", name: e.prompt };
  if (e.resourceUri) return { kind: "resource", name: e.resourceUri };
  return null;
}

/** The portal's MCP calls, as the Audit page lists them (newest first, as given). */
export function PortalEventsTable({ events, empty }: { events: McpEventOutput[]; empty: ReactNode }) {
  return (
    <Table head={["Time (UTC)", "User", "Client", "Method", "Server", "Tool / prompt / resource", "Decision", "Result", "ms", "Tokens", ""]} empty={empty}>
      {events.map((e) => {
        const t = target(e);
        return (
          <tr key={e.id} data-testid="event-row">
            <Td className="whitespace-nowrap font-mono text-xs">{e.time.slice(0, 19).replace("T", " ")}</Td>
            <Td className="break-normal text-xs">
              {e.email ?? (e.userId ? <span className="font-mono">{e.userId.slice(0, 8)}</span> : <span className="text-zinc-400">anonymous</span>)}
              {e.authMethod && <div className="text-zinc-500">{e.authMethod === "oauth" ? "OAuth" : "API token"}</div>}
            </Td>
            <Td className="break-normal text-xs">
              {e.clientName ?? <span className="text-zinc-400">—</span>}
              {e.clientVersion && <span className="text-zinc-500"> {e.clientVersion}</span>}
            </Td>
            <Td className="whitespace-nowrap font-mono text-xs">
              {e.method}
              {e.via === "codemode" && (
                <div className="mt-0.5 font-sans" data-testid="event-codemode">
                  <Badge tone="indigo">Code Mode</Badge>
                  {e.parentId ? (
                    <Link className="ml-1 text-indigo-700 hover:underline" href={`/audit?${new URLSearchParams({ via: "codemode", parent: e.parentId })}`} title="The other calls of the same execute">
                      from execute
                    </Link>
                  ) : e.method === "tools/call" && (e.tool === "execute" || e.tool === "code") ? (
                    <Link className="ml-1 text-indigo-700 hover:underline" href={`/audit?${new URLSearchParams({ via: "codemode", parent: e.id })}`}>
                      its tool calls
                    </Link>
                  ) : null}
                </div>
              )}
            </Td>
            <Td className="break-normal font-mono text-xs">{e.serverSlug ?? <span className="text-zinc-400">—</span>}</Td>
            <Td className="max-w-xs font-mono text-xs">
              {t ? (
                <span className="block max-w-56 truncate" title={`${t.kind}: ${t.name}`}>
                  {t.name}
                </span>
              ) : (
                <span className="text-zinc-400">—</span>
              )}
            </Td>
            <Td className="max-w-xs text-xs">
              <Badge tone={e.decision === "allowed" ? "green" : "red"}>{e.decision}</Badge>
              {e.reason && (
                <span className="mt-0.5 block max-w-56 truncate text-zinc-500" title={e.reason}>
                  {e.reason}
                </span>
              )}
            </Td>
            <Td className="max-w-xs break-normal text-xs">
              {e.success ? (
                <Badge tone="green">ok</Badge>
              ) : (
                <>
                  <Badge tone="amber">error</Badge>
                  {e.error && (
                    <span className="mt-0.5 block max-w-56 truncate text-zinc-500" title={e.error}>
                      {e.error}
                    </span>
                  )}
                </>
              )}
            </Td>
            <Td className="break-normal text-right font-mono text-xs">{e.durationMs ?? "—"}</Td>
            <Td className="break-normal text-right font-mono text-xs">{e.resultTokens ?? "—"}</Td>
            <Td className="whitespace-nowrap">
              <EventDetails event={e} />
            </Td>
          </tr>
        );
      })}
    </Table>
  );
}
