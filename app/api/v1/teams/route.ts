import { apiRoute } from "@/lib/api/route";
import { createTeamEndpoint, listTeamsEndpoint } from "@/lib/teams/endpoints";
import { createTeam } from "@/lib/teams/create-team";
import { listTeams } from "@/lib/teams/queries";

export const GET = apiRoute(listTeamsEndpoint, async ({ ctx }) => ({ teams: await listTeams(ctx) }));
export const POST = apiRoute(createTeamEndpoint, ({ ctx, body }) => createTeam(ctx, body));
