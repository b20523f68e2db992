import { apiRoute } from "@/lib/api/route";
import { resetLlmPricesEndpoint } from "@/lib/llm-providers/endpoints";
import { resetLlmPrices } from "@/lib/llm-providers/reset-llm-prices";

export const POST = apiRoute(resetLlmPricesEndpoint, ({ ctx }) => resetLlmPrices(ctx));
