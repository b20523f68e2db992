import type { Metadata } from "next";
import { DisableToggle, RoleSelect } from "@/components/settings/user-controls";
import { ActionForm, SubmitButton } from "@/components/ui/action-form";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { Field, Input, Select } from "@/components/ui/field";
import { Table, Td } from "@/components/ui/table";
import { can } from "@/lib/auth/actor";
import { requirePage } from "@/lib/auth/page";
import { ROLES } from "@core/auth/roles";
import { listUsers } from "@/lib/users/queries";
import { createUserAction, setUserDisabledAction, updateUserRoleAction } from "../actions";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage() {
  const ctx = await requirePage("users.read");
  const users = await listUsers(ctx);
  const manage = can(ctx.actor, "users.manage");
  return (
    <div className="space-y-6">
      <Card title="Users" description="People appear here after their first sign-in, or when an admin adds them in advance.">
        <Table head={["User", "Role", "Teams", "Signs in with", "Last sign-in", ""]}>
          {users.map((u) => (
            <tr key={u.id} data-testid="user-row">
              <Td>
                <div className="font-medium">{u.email}</div>
                {u.name && <div className="text-xs text-zinc-500">{u.name}</div>}
              </Td>
              <Td>{manage ? <RoleSelect user={u} action={updateUserRoleAction} /> : <Badge tone="indigo">{u.role}</Badge>}</Td>
              <Td className="text-xs text-zinc-600">{u.teams.map((t) => t.name).join(", ") || "—"}</Td>
              <Td className="text-xs text-zinc-600">{u.authSource}</Td>
              <Td className="text-xs text-zinc-600">{u.lastSignInAt ? new Date(u.lastSignInAt).toISOString().slice(0, 16).replace("T", " ") + " UTC" : "never"}</Td>
              <Td className="text-right">
                {u.disabled && <Badge tone="red">disabled</Badge>} {manage && u.id !== ctx.actor.userId && <DisableToggle user={u} action={setUserDisabledAction} />}
              </Td>
            </tr>
          ))}
        </Table>
      </Card>
      {manage && (
        <Card title="Add a user" description="Give someone a role before their first sign-in, or create a service account for API tokens.">
          <ActionForm action={createUserAction} className="grid items-end gap-4 sm:grid-cols-4" successNote={<p className="text-sm text-emerald-700 sm:col-span-4">User added.</p>}>
            <Field label="E-mail">
              <Input name="email" type="email" required />
            </Field>
            <Field label="Name">
              <Input name="name" />
            </Field>
            <Field label="Role">
              <Select name="role" defaultValue="member">
                {ROLES.map((r) => (
                  <option key={r}>{r}</option>
                ))}
              </Select>
            </Field>
            <div>
              <SubmitButton>Add user</SubmitButton>
            </div>
          </ActionForm>
        </Card>
      )}
    </div>
  );
}
