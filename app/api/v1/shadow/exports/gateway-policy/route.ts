import { apiRoute } from "@/lib/api/route";
import { gatewayPolicyExportEndpoint } from "@/lib/shadow/endpoints";
import { exportGatewayPolicy } from "@/lib/shadow/blocklist";

export const GET = apiRoute(gatewayPolicyExportEndpoint, async ({ ctx }) => ({ ...(await exportGatewayPolicy(ctx)) }));
