import { apiRoute } from "@/lib/api/route";
import { deleteTeamMemberEndpoint, putTeamMemberEndpoint } from "@/lib/teams/endpoints";
import { removeMembership } from "@/lib/teams/remove-membership";
import { setMembership } from "@/lib/teams/set-membership";

export const PUT = apiRoute(putTeamMemberEndpoint, ({ ctx, params, body }) => setMembership(ctx, params.id, params.userId, body));
export const DELETE = apiRoute(deleteTeamMemberEndpoint, ({ ctx, params }) => removeMembership(ctx, params.id, params.userId));
