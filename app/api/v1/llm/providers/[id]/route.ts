import { apiRoute } from "@/lib/api/route";
import { deleteLlmProviderEndpoint, getLlmProviderEndpoint, updateLlmProviderEndpoint } from "@/lib/llm-providers/endpoints";
import { deleteLlmProvider, getLlmProvider, updateLlmProvider } from "@/lib/llm-providers/providers";

export const GET = apiRoute(getLlmProviderEndpoint, ({ ctx, params }) => getLlmProvider(ctx, params.id));
export const PATCH = apiRoute(updateLlmProviderEndpoint, ({ ctx, params, body }) => updateLlmProvider(ctx, params.id, body));
export const DELETE = apiRoute(deleteLlmProviderEndpoint, ({ ctx, params }) => deleteLlmProvider(ctx, params.id));
