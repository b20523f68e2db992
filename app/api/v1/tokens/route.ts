import { apiRoute } from "@/lib/api/route";
import { createTokenEndpoint, listTokensEndpoint } from "@/lib/tokens/endpoints";
import { createToken } from "@/lib/tokens/create-token";
import { listTokens } from "@/lib/tokens/queries";

export const GET = apiRoute(listTokensEndpoint, async ({ ctx, query }) => ({ tokens: await listTokens(ctx, query) }));
export const POST = apiRoute(createTokenEndpoint, ({ ctx, body }) => createToken(ctx, body));
