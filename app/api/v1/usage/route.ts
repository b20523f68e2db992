import { apiRoute } from "@/lib/api/route";
import { getUsageEndpoint } from "@/lib/usage/endpoints";
import { getUsage } from "@/lib/usage/usage";

export const GET = apiRoute(getUsageEndpoint, ({ ctx, query }) => getUsage(ctx, query));
