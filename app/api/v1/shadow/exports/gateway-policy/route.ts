import { apiRoute } from "@/lib/api/route";
import { gatewayPolicyExportEndpoint } from "@/lib/shadow/endpoints";
import { exportGatewayPolicy } from "@/lib/shadow/export-gateway-policy";

export const GET = apiRoute(gatewayPolicyExportEndpoint, async ({ ctx }) => {
  const { rules } = await exportGatewayPolicy(ctx);
  return { rules: rules.map((r) => ({ ...r })) };
});
