import { asc } from "drizzle-orm";
import { llmProviders } from "@/db/schema";
import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { effectivePrices } from "./prices";
import type { PricesOutput, ProviderOutput } from "./schemas";
import { providerTable, toProviderOutput } from "./store";

export async function listLlmProviders({ db, actor }: Ctx): Promise<ProviderOutput[]> {
  authorize(actor, "gateway.read");
  const rows = await db.select().from(llmProviders).orderBy(asc(llmProviders.slug));
  return rows.map(toProviderOutput);
}

export async function getLlmProvider({ db, actor }: Ctx, id: string): Promise<ProviderOutput> {
  authorize(actor, "gateway.read");
  return providerTable.read(db, id);
}

export async function listLlmPrices({ db, actor }: Ctx): Promise<PricesOutput> {
  authorize(actor, "gateway.read");
  return effectivePrices(db);
}
