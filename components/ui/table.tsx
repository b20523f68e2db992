import type { ReactNode } from "react";

/**
 * `columns`: a width class per column (`w-28`, `w-[18%]`, or "" to share what is left) for a table of
 * fixed layout that never grows wider than its container: cells truncate instead (a log table).
 */
export function Table({ head, children, empty, columns }: { head: ReactNode[]; children: ReactNode; empty?: ReactNode; columns?: string[] }) {
  const hasRows = Array.isArray(children) ? children.length > 0 : Boolean(children);
  return (
    <div className="overflow-x-auto">
      <table className={`min-w-full divide-y divide-zinc-200 text-sm ${columns ? "w-full table-fixed" : ""}`}>
        {columns && (
          <colgroup>
            {columns.map((c, i) => (
              <col key={i} className={c} />
            ))}
          </colgroup>
        )}
        <thead>
          <tr>
            {head.map((h, i) => (
              <th key={i} scope="col" className={`break-normal ${columns ? "px-2" : "px-3"} py-2 text-left text-xs font-semibold uppercase tracking-wide text-zinc-500`}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100">
          {hasRows ? (
            children
          ) : (
            <tr>
              <td colSpan={head.length} className="px-3 py-6 text-center text-sm text-zinc-500">
                {empty ?? "Nothing yet."}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

export function Td({ children, className = "" }: { children: ReactNode; className?: string }) {
  return <td className={`px-3 py-2 align-middle ${className}`}>{children}</td>;
}

/** The name cell of a row that can be switched off: the name, "(disabled)" after it when off, and any detail below. */
export function NameCell({ name, enabled, children }: { name: string; enabled: boolean; children?: ReactNode }) {
  return (
    <Td>
      <span className="font-medium">{name}</span>
      {!enabled && <span className="ml-1 text-xs text-zinc-500">(disabled)</span>}
      {children}
    </Td>
  );
}
