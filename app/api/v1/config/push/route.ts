import { apiRoute } from "@/lib/api/route";
import { pushConfigEndpoint } from "@/lib/api/endpoints";
import { pushConfig } from "@/lib/config/push-config";

export const POST = apiRoute(pushConfigEndpoint, ({ ctx }) => pushConfig(ctx));
