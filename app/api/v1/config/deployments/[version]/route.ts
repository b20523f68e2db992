import { apiRoute } from "@/lib/api/route";
import { getDeploymentEndpoint } from "@/lib/config/endpoints";
import { getDeployment } from "@/lib/config/queries";

export const GET = apiRoute(getDeploymentEndpoint, ({ ctx, params }) => getDeployment(ctx, params.version));
