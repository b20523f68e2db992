import { apiRoute } from "@/lib/api/route";
import { listTeamMembersEndpoint } from "@/lib/teams/endpoints";
import { listTeamMembers } from "@/lib/teams/queries";

export const GET = apiRoute(listTeamMembersEndpoint, async ({ ctx, params }) => ({ members: await listTeamMembers(ctx, params.id) }));
