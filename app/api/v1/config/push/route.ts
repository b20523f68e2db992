import { apiRoute } from "@/lib/api/route";
import { pushConfigEndpoint } from "@/lib/config/endpoints";
import { pushConfig } from "@/lib/config/push-config";

export const POST = apiRoute(pushConfigEndpoint, ({ ctx }) => pushConfig(ctx));
