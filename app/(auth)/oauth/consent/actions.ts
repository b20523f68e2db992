"use server";

import { sessionAction } from "@/lib/auth/action";
import { answerConsent } from "@/lib/auth/answer-consent";

const text = (form: FormData, key: string) => {
  const v = form.get(key);
  return typeof v === "string" ? v : undefined;
};

/** Allow or deny an MCP client's sign-in at the portal; the browser then follows `redirectTo` back to the portal. */
export const answerConsentAction = sessionAction(async (ctx, form) =>
  answerConsent(ctx, { state: text(form, "state") ?? "", returnTo: text(form, "returnTo") ?? "", client: text(form, "client"), redirect: text(form, "redirect"), decision: text(form, "decision") }),
);
