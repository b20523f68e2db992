import { apiRoute } from "@/lib/api/route";
import { revokeTokenEndpoint } from "@/lib/tokens/endpoints";
import { revokeToken } from "@/lib/tokens/revoke-token";

export const DELETE = apiRoute(revokeTokenEndpoint, ({ ctx, params }) => revokeToken(ctx, params.id));
