import type { Metadata } from "next";
import { Card } from "@/components/ui/card";
import { Table, Td } from "@/components/ui/table";
import { requirePage } from "@/lib/auth/page";
import { PERMISSIONS, ROLE_DESCRIPTIONS, ROLES, type Permission } from "@core/auth/roles";

export const metadata: Metadata = { title: "Roles" };

export default async function RolesPage() {
  await requirePage();
  return (
    <div className="space-y-6">
      <Card title="Roles" description="Each person has one console role. Admins change roles in Users; with OIDC_ROLE_GROUPS set, the identity provider's groups decide.">
        <Table head={["Role", "What it may do"]}>
          {ROLES.map((r) => (
            <tr key={r}>
              <Td className="font-medium">{r}</Td>
              <Td className="text-zinc-700">{ROLE_DESCRIPTIONS[r]}</Td>
            </tr>
          ))}
        </Table>
      </Card>
      <Card title="Permissions" description="The table every page, action and API endpoint checks.">
        <Table head={["Permission", "Token scope", ...ROLES]}>
          {(Object.keys(PERMISSIONS) as Permission[]).map((p) => (
            <tr key={p}>
              <Td className="font-mono text-xs">{p}</Td>
              <Td className="text-xs">{PERMISSIONS[p].scope}</Td>
              {ROLES.map((r) => (
                <Td key={r} className="text-center">
                  {(PERMISSIONS[p].roles as readonly string[]).includes(r) ? "✓" : ""}
                </Td>
              ))}
            </tr>
          ))}
        </Table>
      </Card>
    </div>
  );
}
