import { apiRoute } from "@/lib/api/route";
import { createLlmProviderEndpoint, listLlmProvidersEndpoint } from "@/lib/llm-providers/endpoints";
import { createLlmProvider, listLlmProviders } from "@/lib/llm-providers/providers";

export const GET = apiRoute(listLlmProvidersEndpoint, async ({ ctx }) => ({ providers: await listLlmProviders(ctx) }));
export const POST = apiRoute(createLlmProviderEndpoint, ({ ctx, body }) => createLlmProvider(ctx, body));
