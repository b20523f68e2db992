import { apiRoute } from "@/lib/api/route";
import { createUserEndpoint, listUsersEndpoint } from "@/lib/users/endpoints";
import { createUser } from "@/lib/users/create-user";
import { listUsers } from "@/lib/users/queries";

export const GET = apiRoute(listUsersEndpoint, async ({ ctx }) => ({ users: await listUsers(ctx) }));
export const POST = apiRoute(createUserEndpoint, ({ ctx, body }) => createUser(ctx, body));
