import { ValidationError } from "../errors";
import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { UpdateSinkInput, type SinkOutput } from "./schemas";
import { sealCredential, sinkTable } from "./store";

/** Changes the fields sent; a new HEC token or new OTLP headers replace the stored ones (a webhook's secret stays). */
export async function updateSink({ db, actor }: Ctx, id: string, rawInput: unknown): Promise<SinkOutput> {
  authorize(actor, "forwarding.manage");
  const patch = UpdateSinkInput.parse(rawInput);
  return db.transaction(async (tx) => {
    const row = await sinkTable.loadRow(tx, id);
    const before = await sinkTable.read(tx, id);
    if (patch.token !== undefined && row.kind !== "splunk_hec") throw new ValidationError("token is for Splunk HEC sinks", { token: "only for splunk_hec" });
    if (patch.headers !== undefined && row.kind !== "otlp") throw new ValidationError("headers are for OTLP sinks", { headers: "only for otlp" });
    if (patch.name !== undefined) await sinkTable.assertNameFree(tx, patch.name, id);
    const { token, headers, ...settings } = patch;
    const credential = token !== undefined ? sealCredential(id, { token }) : headers !== undefined ? sealCredential(id, { headers }) : {};
    return sinkTable.update(tx, actor, id, before, { ...settings, ...credential, updatedAt: new Date() }, { credentialChanged: token !== undefined || headers !== undefined });
  });
}
