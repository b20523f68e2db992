import { apiRoute } from "@/lib/api/route";
import { deleteLlmProviderEndpoint, getLlmProviderEndpoint, updateLlmProviderEndpoint } from "@/lib/llm-providers/endpoints";
import { deleteLlmProvider } from "@/lib/llm-providers/delete-llm-provider";
import { getLlmProvider } from "@/lib/llm-providers/queries";
import { updateLlmProvider } from "@/lib/llm-providers/update-llm-provider";

export const GET = apiRoute(getLlmProviderEndpoint, ({ ctx, params }) => getLlmProvider(ctx, params.id));
export const PATCH = apiRoute(updateLlmProviderEndpoint, ({ ctx, params, body }) => updateLlmProvider(ctx, params.id, body));
export const DELETE = apiRoute(deleteLlmProviderEndpoint, ({ ctx, params }) => deleteLlmProvider(ctx, params.id));
