import { apiRoute } from "@/lib/api/route";
import { createLlmProviderEndpoint, listLlmProvidersEndpoint } from "@/lib/llm-providers/endpoints";
import { createLlmProvider } from "@/lib/llm-providers/create-llm-provider";
import { listLlmProviders } from "@/lib/llm-providers/queries";

export const GET = apiRoute(listLlmProvidersEndpoint, async ({ ctx }) => ({ providers: await listLlmProviders(ctx) }));
export const POST = apiRoute(createLlmProviderEndpoint, ({ ctx, body }) => createLlmProvider(ctx, body));
