import { Tabs } from "@/components/nav/tabs";
import { can } from "@/lib/auth/actor";
import { requirePage } from "@/lib/auth/page";

export default async function SettingsLayout({ children }: { children: React.ReactNode }) {
  const { actor } = await requirePage();
  const tabs = [
    { href: "/settings/tokens", label: "API tokens" },
    ...(can(actor, "users.read") ? [{ href: "/settings/users", label: "Users" }] : []),
    { href: "/settings/teams", label: "Teams" },
    { href: "/settings/roles", label: "Roles" },
    ...(can(actor, "shadow.triage") ? [{ href: "/settings/logpush", label: "Logpush" }] : []),
    ...(can(actor, "forwarding.read") ? [{ href: "/settings/forwarding", label: "Forwarding" }] : []),
  ];
  return (
    <div>
      <h1 className="text-xl font-semibold tracking-tight">Settings</h1>
      <Tabs label="Settings" tabs={tabs} />
      {children}
    </div>
  );
}
