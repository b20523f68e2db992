import type { Metadata } from "next";
import { ActionForm, SubmitButton } from "@/components/ui/action-form";
import { NameSlugFields } from "@/components/ui/name-slug-fields";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { Field, Input, Select } from "@/components/ui/field";
import { can } from "@/lib/auth/actor";
import { requirePage } from "@/lib/auth/page";
import { listTeamMembers, listTeams } from "@/lib/teams/queries";
import { listUsers } from "@/lib/users/queries";
import { addTeamMemberAction, createTeamAction, deleteTeamAction, removeTeamMemberAction } from "../actions";

export const metadata: Metadata = { title: "Teams" };

export default async function TeamsPage() {
  const ctx = await requirePage("teams.read");
  const manage = can(ctx.actor, "teams.manage");
  const teams = await listTeams(ctx);
  const members = await Promise.all(teams.map((t) => listTeamMembers(ctx, t.id)));
  const users = manage ? await listUsers(ctx) : [];
  return (
    <div className="space-y-6">
      {teams.length === 0 && (
        <Card>
          <p className="text-sm text-zinc-600">
            No teams yet. {manage ? "Create one below, and map it to an IdP group so members join at sign-in." : "An admin creates them."}
          </p>
        </Card>
      )}
      {teams.map((team, i) => (
        <Card
          key={team.id}
          title={
            <span className="flex items-center gap-2" data-testid="team-name">
              {team.name} <code className="text-xs font-normal text-zinc-500">{team.slug}</code>
              {team.idpGroup && <Badge tone="indigo">IdP group: {team.idpGroup}</Badge>}
            </span>
          }
          description={team.description}
          actions={
            manage && (
              <ActionForm action={deleteTeamAction} confirm={`Delete team ${team.name}? Its memberships go with it.`}>
                <input type="hidden" name="id" value={team.id} />
                <SubmitButton variant="danger">Delete</SubmitButton>
              </ActionForm>
            )
          }
        >
          <ul className="divide-y divide-zinc-100 text-sm">
            {members[i]!.length === 0 && <li className="py-1 text-zinc-500">No members.</li>}
            {members[i]!.map((m) => (
              <li key={m.userId} className="flex items-center justify-between py-1.5">
                <span>
                  {m.email} {m.role === "lead" && <Badge tone="indigo">lead</Badge>} {m.source === "idp" && <Badge>from IdP</Badge>}
                </span>
                {manage && (
                  <ActionForm action={removeTeamMemberAction}>
                    <input type="hidden" name="teamId" value={team.id} />
                    <input type="hidden" name="userId" value={m.userId} />
                    <SubmitButton variant="secondary">Remove</SubmitButton>
                  </ActionForm>
                )}
              </li>
            ))}
          </ul>
          {manage && users.length > 0 && (
            <ActionForm action={addTeamMemberAction} className="mt-3 flex items-end gap-2">
              <input type="hidden" name="teamId" value={team.id} />
              <Field label="Add member">
                <Select name="userId" required defaultValue="">
                  <option value="" disabled>
                    Choose a user…
                  </option>
                  {users.map((u) => (
                    <option key={u.id} value={u.id}>
                      {u.email}
                    </option>
                  ))}
                </Select>
              </Field>
              <Field label="Team role">
                <Select name="role" defaultValue="member">
                  <option value="member">member</option>
                  <option value="lead">lead</option>
                </Select>
              </Field>
              <SubmitButton variant="secondary">Add</SubmitButton>
            </ActionForm>
          )}
        </Card>
      ))}
      {manage && (
        <Card title="Create a team">
          <ActionForm action={createTeamAction} className="grid items-end gap-4 sm:grid-cols-2">
            <NameSlugFields namePlaceholder="Platform" slugHint="Fills in from the name: lowercase letters, digits and hyphens." />
            <Field label="IdP group (optional)" hint="Members of this group in your identity provider join at sign-in.">
              <Input name="idpGroup" placeholder="platform-engineers" />
            </Field>
            <Field label="Description (optional)">
              <Input name="description" maxLength={500} />
            </Field>
            <div>
              <SubmitButton>Create team</SubmitButton>
            </div>
          </ActionForm>
        </Card>
      )}
    </div>
  );
}
