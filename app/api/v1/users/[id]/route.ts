import { apiRoute } from "@/lib/api/route";
import { getUserEndpoint, updateUserEndpoint } from "@/lib/users/endpoints";
import { getUser } from "@/lib/users/queries";
import { updateUser } from "@/lib/users/update-user";

export const GET = apiRoute(getUserEndpoint, ({ ctx, params }) => getUser(ctx, params.id));
export const PATCH = apiRoute(updateUserEndpoint, ({ ctx, params, body }) => updateUser(ctx, params.id, body));
