import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { checkStoredProvider } from "./probe-provider";
import type { ProviderOutput } from "./schemas";
import { providerTable } from "./store";

/**
 * "Test again": tries a saved provider with its stored key and keeps the outcome on it. Managers
 * only: it makes the console connect out, and the test is the same one every save runs.
 */
export async function checkLlmProvider({ db, actor }: Ctx, id: string): Promise<ProviderOutput> {
  authorize(actor, "gateway.manage");
  return checkStoredProvider(db, await providerTable.loadRow(db, id));
}
