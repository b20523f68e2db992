import Link from "next/link";
import { can } from "@/lib/auth/actor";
import { requirePage } from "@/lib/auth/page";

export default async function SettingsLayout({ children }: { children: React.ReactNode }) {
  const { actor } = await requirePage();
  const tabs = [
    { href: "/settings/tokens", label: "API tokens" },
    ...(can(actor, "users.read") ? [{ href: "/settings/users", label: "Users" }] : []),
    { href: "/settings/teams", label: "Teams" },
    { href: "/settings/roles", label: "Roles" },
  ];
  return (
    <div>
      <h1 className="text-xl font-semibold tracking-tight">Settings</h1>
      <nav aria-label="Settings" className="mt-4 mb-6 flex gap-1 border-b border-zinc-200">
        {tabs.map((t) => (
          <Link key={t.href} href={t.href} className="-mb-px border-b-2 border-transparent px-3 py-2 text-sm font-medium text-zinc-600 hover:text-zinc-900 hover:border-zinc-300">
            {t.label}
          </Link>
        ))}
      </nav>
      {children}
    </div>
  );
}
