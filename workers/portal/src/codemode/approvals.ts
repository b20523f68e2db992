/**
 * Code Mode's approval pause (docs/codemode.md): a call of a tool marked as needing approval
 * waits, inside `execute`, for the user's answer to an `elicitation/create` request sent on the
 * execute's SSE stream. The client answers with a POST that any isolate may receive, so the two
 * meet here: one Durable Object per approval, addressed by the elicitation request's own id
 * (idFromName), never a shared instance. Nothing is stored: a wait lasts minutes at most.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export type ApprovalAnswer = "accept" | "decline" | "cancel" | "timeout";

/** Elicitation request ids the portal sends for approvals; a response with one is routed here. */
export const APPROVAL_ID_PREFIX = "portcullis-approval:";
/** How long a call waits for the user (the run's wall clock stops meanwhile). */
export const APPROVAL_TIMEOUT_MS = 5 * 60_000;

export class Approvals extends DurableObject<Env> {
  private answer: ApprovalAnswer | null = null;
  private readonly waiting: ((answer: ApprovalAnswer) => void)[] = [];

  /** The user's answer, or "timeout". An answer that arrived first is returned at once. */
  async wait(timeoutMs: number): Promise<ApprovalAnswer> {
    if (this.answer) return this.answer;
    return new Promise<ApprovalAnswer>((resolve) => {
      const timer = setTimeout(() => resolve("timeout"), Math.min(timeoutMs, APPROVAL_TIMEOUT_MS));
      this.waiting.push((answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
  }

  /** The client answered (the first answer counts). */
  async settle(answer: ApprovalAnswer): Promise<void> {
    this.answer ??= answer;
    for (const resolve of this.waiting.splice(0)) resolve(this.answer);
  }
}

/** The client's answer to an approval's elicitation: accept only when it accepted. */
export function approvalAnswerOf(message: { result?: unknown; error?: unknown }): ApprovalAnswer {
  const action = (message.result as { action?: unknown } | undefined)?.action;
  return action === "accept" || action === "decline" || action === "cancel" ? action : "cancel";
}

export const approvalStub = (env: Env, id: string) => env.APPROVALS.get(env.APPROVALS.idFromName(id));
