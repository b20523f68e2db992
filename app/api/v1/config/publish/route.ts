import { apiRoute } from "@/lib/api/route";
import { publishConfigEndpoint } from "@/lib/config/endpoints";
import { publishConfig } from "@/lib/config/publish-config";

export const POST = apiRoute(publishConfigEndpoint, ({ ctx }) => publishConfig(ctx));
