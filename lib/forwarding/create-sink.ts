import { generateSecret } from "@core/tokens/secret";
import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import type { SinkCredential } from "./formats";
import { CreateSinkInput, type CreatedSinkOutput } from "./schemas";
import { sealCredential, sinkTable } from "./store";

export const WEBHOOK_SECRET_PREFIX = "pcwh_";

/**
 * Creates a sink. A webhook's signing secret is made here and answered this once; a Splunk HEC
 * token or OTLP headers come from the caller. Either is stored only sealed (./store.ts).
 */
export async function createSink({ db, actor }: Ctx, rawInput: unknown): Promise<CreatedSinkOutput> {
  authorize(actor, "forwarding.manage");
  const input = CreateSinkInput.parse(rawInput);
  const id = crypto.randomUUID();
  const secret = input.kind === "webhook" ? generateSecret(WEBHOOK_SECRET_PREFIX) : undefined;
  const credential: SinkCredential | null =
    input.kind === "webhook" ? { secret } : input.kind === "splunk_hec" ? { token: input.token } : Object.keys(input.headers).length > 0 ? { headers: input.headers } : null;
  return db.transaction(async (tx) => {
    await sinkTable.assertNameFree(tx, input.name);
    const out = await sinkTable.insert(tx, actor, {
      id,
      name: input.name,
      kind: input.kind,
      url: input.url,
      ...(credential ? sealCredential(id, credential) : {}),
      filters: input.filters,
      forwardEvents: input.forwardEvents,
      alertRules: input.alertRules,
      enabled: input.enabled,
      createdBy: actor.userId,
    });
    return secret ? { ...out, secret } : out;
  });
}
