"use server";

import { setToolApproval } from "@/lib/servers/set-tool-approval";
import { sessionAction } from "@/lib/auth/action";
import { approveServer } from "@/lib/servers/approve-server";
import { registerServer } from "@/lib/servers/register-server";
import { rejectServer } from "@/lib/servers/reject-server";
import { setServerAccess } from "@/lib/servers/set-server-access";
import { syncServer } from "@/lib/servers/sync-server";
import { startUpstreamOAuth } from "@/lib/servers/start-upstream-oauth";
import { consoleOrigin } from "@/lib/auth/console-origin";

const text = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
};

/** "Name: value" per line → { Name: "value" }; the verb validates names and values. */
function headerLines(value: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of (value ?? "").split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return headers;
}

function authFromForm(form: FormData) {
  switch (text(form, "authType") ?? "none") {
    case "bearer":
      return { type: "bearer", token: text(form, "token") ?? "" };
    case "headers":
      return { type: "headers", headers: headerLines(text(form, "headers")) };
    case "oauth_client_credentials":
      return { type: "oauth_client_credentials", clientId: text(form, "clientId") ?? "", clientSecret: text(form, "clientSecret") ?? "", scope: text(form, "scope") };
    case "oauth_authorization_code":
      return { type: "oauth_authorization_code", flowId: text(form, "oauthFlowId") ?? "" };
    default:
      return { type: "none" };
  }
}

export const requestServerAction = sessionAction(
  async (ctx, form) => {
    const server = await registerServer(ctx, {
      name: text(form, "name") ?? "",
      slug: text(form, "slug") ?? "",
      url: text(form, "url") ?? "",
      description: text(form, "description"),
      justification: text(form, "justification") ?? "",
      ownerTeamId: text(form, "ownerTeamId"),
      auth: authFromForm(form),
      // Adopted from a shadow-MCP finding: resolved and linked with the registration (triagers only).
      findingId: text(form, "finding"),
    });
    // Only what the form needs to move on: the credential never travels back to the browser.
    return { id: server.id };
  },
  { revalidate: "/servers" },
);

/** Starts "OAuth (authorization code)": the form then sends the browser to the returned URL. */
export const startUpstreamOAuthAction = sessionAction(async (ctx, form) =>
  startUpstreamOAuth(ctx, { url: text(form, "url") ?? "", scope: text(form, "scope") }, await consoleOrigin()),
);

export const syncServerAction = sessionAction(
  async (ctx, form) => {
    const r = await syncServer(ctx, text(form, "id") ?? "");
    return { changed: r.changed, added: r.added, removed: r.removed, modified: r.modified, quarantined: r.quarantined };
  },
  { revalidate: "/servers" },
);

export const approveServerAction = sessionAction(
  async (ctx, form) => {
    const server = await approveServer(ctx, text(form, "id") ?? "", { reason: text(form, "reason") ?? "", tools: form.getAll("tools").map(String) });
    return { id: server.id, status: server.status };
  },
  { revalidate: "/servers" },
);

export const rejectServerAction = sessionAction(
  async (ctx, form) => {
    const server = await rejectServer(ctx, text(form, "id") ?? "", { reason: text(form, "reason") ?? "" });
    return { id: server.id, status: server.status };
  },
  { revalidate: "/servers" },
);

export const setServerAccessAction = sessionAction(
  async (ctx, form) => {
    const everyone = text(form, "mode") === "everyone";
    const access = await setServerAccess(ctx, text(form, "id") ?? "", { everyone, teamIds: everyone ? [] : form.getAll("teamIds").map(String) });
    return { everyone: access.everyone, teams: access.teams.length };
  },
  { revalidate: "/servers" },
);

export const setToolApprovalAction = sessionAction((ctx, form) => setToolApproval(ctx, text(form, "id") ?? "", text(form, "tool") ?? "", { approval: text(form, "approval") }), { revalidate: "/servers" });
