import { apiRoute } from "@/lib/api/route";
import { gatewayPolicyExportEndpoint } from "@/lib/api/endpoints";
import { exportGatewayPolicy } from "@/lib/shadow/blocklist";

export const GET = apiRoute(gatewayPolicyExportEndpoint, async ({ ctx }) => ({ ...(await exportGatewayPolicy(ctx)) }));
