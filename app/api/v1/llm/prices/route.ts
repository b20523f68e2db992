import { apiRoute } from "@/lib/api/route";
import { listLlmPricesEndpoint, putLlmPricesEndpoint } from "@/lib/llm-providers/endpoints";
import { listLlmPrices } from "@/lib/llm-providers/queries";
import { putLlmPrices } from "@/lib/llm-providers/put-llm-prices";

export const GET = apiRoute(listLlmPricesEndpoint, ({ ctx }) => listLlmPrices(ctx));
export const PUT = apiRoute(putLlmPricesEndpoint, ({ ctx, body }) => putLlmPrices(ctx, body));
