import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import type { ProviderOutput } from "./schemas";
import { providerTable } from "./store";

/** Removes an LLM provider (and its stored key) and answers what it was. */
export async function deleteLlmProvider({ db, actor }: Ctx, id: string): Promise<ProviderOutput> {
  authorize(actor, "gateway.manage");
  return db.transaction((tx) => providerTable.remove(tx, actor, id));
}
