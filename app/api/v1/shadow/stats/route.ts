import { apiRoute } from "@/lib/api/route";
import { shadowStatsEndpoint } from "@/lib/shadow/endpoints";
import { shadowStats } from "@/lib/shadow/stats";

export const GET = apiRoute(shadowStatsEndpoint, ({ ctx }) => shadowStats(ctx));
