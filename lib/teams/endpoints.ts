import { z } from "zod";
import { endpoint, IdParams, MemberParams, NoQuery } from "@/lib/api/endpoint";
import { CreateTeamInput, PutMemberInput, TeamMemberOutput, TeamOutput, UpdateTeamInput } from "./schemas";

/** The public API contracts of this domain (routes under app/api/v1; the OpenAPI document is built from them). */

export const listTeamsEndpoint = endpoint({
  method: "GET", path: "/teams", operationId: "listTeams", tag: "Teams", permission: "teams.read", status: 200,
  summary: "List teams", query: NoQuery, response: z.object({ teams: z.array(TeamOutput) }),
});

export const createTeamEndpoint = endpoint({
  method: "POST", path: "/teams", operationId: "createTeam", tag: "Teams", permission: "teams.manage", status: 201,
  summary: "Create a team, optionally mapped to an IdP group",
  query: NoQuery, body: CreateTeamInput, response: TeamOutput,
});

export const getTeamEndpoint = endpoint({
  method: "GET", path: "/teams/{id}", operationId: "getTeam", tag: "Teams", permission: "teams.read", status: 200,
  summary: "Get one team", params: IdParams, query: NoQuery, response: TeamOutput,
});

export const updateTeamEndpoint = endpoint({
  method: "PATCH", path: "/teams/{id}", operationId: "updateTeam", tag: "Teams", permission: "teams.manage", status: 200,
  summary: "Rename a team or change its IdP group", params: IdParams, query: NoQuery, body: UpdateTeamInput, response: TeamOutput,
});

export const deleteTeamEndpoint = endpoint({
  method: "DELETE", path: "/teams/{id}", operationId: "deleteTeam", tag: "Teams", permission: "teams.manage", status: 204,
  summary: "Delete a team and its memberships", params: IdParams, query: NoQuery,
});

export const listTeamMembersEndpoint = endpoint({
  method: "GET", path: "/teams/{id}/members", operationId: "listTeamMembers", tag: "Teams", permission: "teams.read", status: 200,
  summary: "List a team's members", params: IdParams, query: NoQuery, response: z.object({ members: z.array(TeamMemberOutput) }),
});

export const putTeamMemberEndpoint = endpoint({
  method: "PUT", path: "/teams/{id}/members/{userId}", operationId: "putTeamMember", tag: "Teams", permission: "teams.manage", status: 200,
  summary: "Add a user to a team or change their team role", params: MemberParams, query: NoQuery, body: PutMemberInput, response: TeamMemberOutput,
});

export const deleteTeamMemberEndpoint = endpoint({
  method: "DELETE", path: "/teams/{id}/members/{userId}", operationId: "deleteTeamMember", tag: "Teams", permission: "teams.manage", status: 204,
  summary: "Remove a user from a team", params: MemberParams, query: NoQuery,
});
