import { apiRoute } from "@/lib/api/route";
import { rollbackConfigEndpoint } from "@/lib/config/endpoints";
import { rollbackConfig } from "@/lib/config/rollback-config";

export const POST = apiRoute(rollbackConfigEndpoint, ({ ctx, body }) => rollbackConfig(ctx, body));
