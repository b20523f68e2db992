import { apiRoute } from "@/lib/api/route";
import { getOperationsEndpoint } from "@/lib/usage/endpoints";
import { getOperations } from "@/lib/usage/operations";

export const GET = apiRoute(getOperationsEndpoint, ({ ctx, query }) => getOperations(ctx, query));
