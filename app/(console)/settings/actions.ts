"use server";

import { sessionAction } from "@/lib/auth/action";
import { consoleOrigin } from "@/lib/auth/console-origin";
import { createSink } from "@/lib/forwarding/create-sink";
import { deleteSink } from "@/lib/forwarding/delete-sink";
import { sinkInputFromForm } from "@/lib/forwarding/form";
import { retryDeadLetters } from "@/lib/forwarding/retry-dead-letters";
import { updateSink } from "@/lib/forwarding/update-sink";
import { createLogpushJob } from "@/lib/shadow/create-logpush-job";
import { revokeLogpushJob } from "@/lib/shadow/revoke-logpush-job";
import { createToken } from "@/lib/tokens/create-token";
import { revokeToken } from "@/lib/tokens/revoke-token";
import { createUser } from "@/lib/users/create-user";
import { updateUser } from "@/lib/users/update-user";
import { createTeam } from "@/lib/teams/create-team";
import { deleteTeam } from "@/lib/teams/delete-team";
import { removeMembership } from "@/lib/teams/remove-membership";
import { setMembership } from "@/lib/teams/set-membership";

// Actions only translate a form into a verb's input; each verb authorizes and validates itself.
const text = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
};

export const createTokenAction = sessionAction(
  (ctx, form) => {
    const days = text(form, "expiresInDays");
    return createToken(ctx, {
      name: text(form, "name") ?? "",
      scopes: form.getAll("scopes").map(String),
      expiresInDays: days === "never" ? null : days === undefined ? undefined : Number(days),
    });
  },
  { revalidate: "/settings/tokens" },
);

export const revokeTokenAction = sessionAction((ctx, form) => revokeToken(ctx, text(form, "id") ?? ""), { revalidate: "/settings/tokens" });

export const createUserAction = sessionAction(
  (ctx, form) => createUser(ctx, { email: text(form, "email") ?? "", name: text(form, "name"), role: text(form, "role") }),
  { revalidate: "/settings/users" },
);

export const updateUserRoleAction = sessionAction((ctx, form) => updateUser(ctx, text(form, "id") ?? "", { role: text(form, "role") }), {
  revalidate: "/settings/users",
});

export const setUserDisabledAction = sessionAction(
  (ctx, form) => updateUser(ctx, text(form, "id") ?? "", { disabled: text(form, "disabled") === "true" }),
  { revalidate: "/settings/users" },
);

export const createTeamAction = sessionAction(
  (ctx, form) =>
    createTeam(ctx, { slug: text(form, "slug") ?? "", name: text(form, "name") ?? "", description: text(form, "description"), idpGroup: text(form, "idpGroup") }),
  { revalidate: "/settings/teams" },
);

export const deleteTeamAction = sessionAction((ctx, form) => deleteTeam(ctx, text(form, "id") ?? ""), { revalidate: "/settings/teams" });

export const addTeamMemberAction = sessionAction(
  (ctx, form) => setMembership(ctx, text(form, "teamId") ?? "", text(form, "userId") ?? "", { role: text(form, "role") }),
  { revalidate: "/settings/teams" },
);

export const removeTeamMemberAction = sessionAction(
  (ctx, form) => removeMembership(ctx, text(form, "teamId") ?? "", text(form, "userId") ?? ""),
  { revalidate: "/settings/teams" },
);

// The destination_conf names the console's public origin (AUTH_URL, else what the browser used).
export const createLogpushJobAction = sessionAction(
  async (ctx, form) => createLogpushJob(ctx, { name: text(form, "name") ?? "", format: text(form, "format") ?? "" }, await consoleOrigin()),
  { revalidate: "/settings/logpush" },
);

export const revokeLogpushJobAction = sessionAction((ctx, form) => revokeLogpushJob(ctx, text(form, "id") ?? ""), { revalidate: "/settings/logpush" });

export const createSinkAction = sessionAction((ctx, form) => createSink(ctx, sinkInputFromForm(form)), { revalidate: "/settings/forwarding" });

export const deleteSinkAction = sessionAction((ctx, form) => deleteSink(ctx, text(form, "id") ?? ""), { revalidate: "/settings/forwarding" });

export const retryDeadLettersAction = sessionAction((ctx, form) => retryDeadLetters(ctx, text(form, "id") ?? ""), { revalidate: "/settings/forwarding" });

export const setSinkEnabledAction = sessionAction((ctx, form) => updateSink(ctx, text(form, "id") ?? "", { enabled: text(form, "enabled") === "true" }), {
  revalidate: "/settings/forwarding",
});
