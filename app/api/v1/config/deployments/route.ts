import { apiRoute } from "@/lib/api/route";
import { listDeploymentsEndpoint } from "@/lib/config/endpoints";
import { listDeployments } from "@/lib/config/queries";

export const GET = apiRoute(listDeploymentsEndpoint, async ({ ctx }) => ({ deployments: await listDeployments(ctx) }));
