"use client";

import type { FormAction } from "@/lib/auth/action-result";
import { ActionForm, SubmitButton } from "../ui/action-form";

export interface AccessFormProps {
  serverId: string;
  everyone: boolean;
  grantedTeamIds: string[];
  teams: { id: string; name: string; slug: string }[];
  action: FormAction<{ everyone: boolean; teams: number }>;
}

/**
 * Who may use the server at the edge: everyone, or the teams ticked here. Uncontrolled on purpose:
 * React resets a form after its action succeeds, and the defaults then come from the saved state.
 */
export function AccessForm({ serverId, everyone, grantedTeamIds, teams, action }: AccessFormProps) {
  return (
    <ActionForm action={action} className="group space-y-3" successNote={<p className="text-xs text-emerald-700" role="status">Saved. Publish to apply it at the edge.</p>}>
      <input type="hidden" name="id" value={serverId} />
      <fieldset className="space-y-1 text-sm">
        <legend className="sr-only">Who may use this server</legend>
        <label className="flex items-center gap-2">
          <input type="radio" name="mode" value="everyone" defaultChecked={everyone} /> Everyone
        </label>
        <label className="flex items-center gap-2">
          <input type="radio" name="mode" value="teams" defaultChecked={!everyone} /> Selected teams <span className="text-xs text-zinc-500">(none ticked: nobody)</span>
        </label>
      </fieldset>
      {/* Team choices only count with "Selected teams"; shown faded otherwise. */}
      <fieldset className="ml-5 space-y-1 text-sm group-has-[input[value=everyone]:checked]:opacity-50">
        <legend className="sr-only">Teams</legend>
        {teams.length === 0 && <p className="text-xs text-zinc-500">No teams yet (Settings → Teams).</p>}
        {teams.map((t) => (
          <label key={t.id} className="flex items-center gap-2">
            <input type="checkbox" name="teamIds" value={t.id} defaultChecked={grantedTeamIds.includes(t.id)} /> {t.name}
          </label>
        ))}
      </fieldset>
      <SubmitButton variant="secondary" pendingLabel="Saving…">
        Save access
      </SubmitButton>
    </ActionForm>
  );
}
