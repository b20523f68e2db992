import { apiRoute } from "@/lib/api/route";
import { checkLlmProvider } from "@/lib/llm-providers/check-llm-provider";
import { checkLlmProviderEndpoint } from "@/lib/llm-providers/endpoints";

export const POST = apiRoute(checkLlmProviderEndpoint, ({ ctx, params }) => checkLlmProvider(ctx, params.id));
