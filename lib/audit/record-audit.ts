import { auditLog } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { actorLabel, type Actor } from "../auth/actor";
import { redactUrlsIn } from "@core/net/redact-url";

export interface AuditInput {
  /** `entity.verb` */
  action: `${string}.${string}`;
  targetType: string;
  targetId?: string | null;
  /** Never put a secret here: the audit trail is readable by security and admins. URLs in it are stored redacted. */
  details?: Record<string, unknown>;
}

/** Call with the transaction that makes the change, so the trail and the change commit together. */
export async function recordAudit(tx: Queryable, actor: Actor, input: AuditInput): Promise<void> {
  await tx.insert(auditLog).values({
    action: input.action,
    actorId: actor.userId,
    actorLabel: actorLabel(actor),
    targetType: input.targetType,
    targetId: input.targetId ?? null,
    details: redactUrlsIn(input.details ?? {}),
  });
}
