import Link from "next/link";
import { Sidebar, type NavItem } from "@/components/nav/sidebar";
import { Badge } from "@/components/ui/badge";
import { QueryProvider } from "@/components/live/query-provider";
import { can } from "@/lib/auth/actor";
import { requirePage } from "@/lib/auth/page";
import { readAuthSettings } from "@/lib/auth/settings";
import { signOutAction } from "./actions";

export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const { actor } = await requirePage();
  const local = readAuthSettings().mode === "local";
  const items: NavItem[] = [
    { href: "/", label: "Overview" },
    { href: "/servers", label: "Servers" },
    ...(can(actor, "policies.read") ? [{ href: "/policies", label: "Policies" }] : []),
    { href: "/budgets", label: "Budgets" },
    ...(can(actor, "gateway.read") ? [{ href: "/gateway", label: "Gateway" }] : []),
    { href: "/usage", label: "Usage" },
    ...(can(actor, "usage.read") ? [{ href: "/audit", label: "Audit" }] : []),
    ...(can(actor, "shadow.read") ? [{ href: "/shadow", label: "Shadow MCP" }] : []),
    { href: "/portal", label: "Portal" },
    { href: "/settings", label: "Settings" },
  ];
  return (
    <div className="flex min-h-screen">
      <aside className="sticky top-0 flex h-screen w-56 shrink-0 flex-col overflow-y-auto border-r border-zinc-200 bg-white px-3 py-4">
        <Link href="/" className="mb-6 flex items-center gap-2 px-2.5">
          <span className="flex h-7 w-7 items-center justify-center rounded-md bg-indigo-600 text-sm font-bold text-white">P</span>
          <span className="font-semibold">Portcullis</span>
        </Link>
        <Sidebar items={items} />
        <div className="mt-auto space-y-2 border-t border-zinc-100 px-2.5 pt-4 text-xs">
          {local && <Badge tone="amber">Local mode</Badge>}
          <p className="truncate font-medium text-zinc-800" data-testid="current-user">
            {actor.email}
          </p>
          <p className="text-zinc-500">
            Role: <span data-testid="current-role">{actor.role}</span>
          </p>
          <form action={signOutAction}>
            <button type="submit" className="text-zinc-600 hover:text-zinc-900 hover:underline">
              Sign out
            </button>
          </form>
        </div>
      </aside>
      <main className="min-w-0 flex-1 px-8 py-6">
        <QueryProvider>{children}</QueryProvider>
      </main>
    </div>
  );
}
