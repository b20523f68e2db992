import { apiRoute } from "@/lib/api/route";
import { deleteTeamEndpoint, getTeamEndpoint, updateTeamEndpoint } from "@/lib/teams/endpoints";
import { deleteTeam } from "@/lib/teams/delete-team";
import { getTeam } from "@/lib/teams/queries";
import { updateTeam } from "@/lib/teams/update-team";

export const GET = apiRoute(getTeamEndpoint, ({ ctx, params }) => getTeam(ctx, params.id));
export const PATCH = apiRoute(updateTeamEndpoint, ({ ctx, params, body }) => updateTeam(ctx, params.id, body));
export const DELETE = apiRoute(deleteTeamEndpoint, ({ ctx, params }) => deleteTeam(ctx, params.id));
