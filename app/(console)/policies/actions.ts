"use server";

import { sessionAction } from "@/lib/auth/action";
import { policyInputFromForm, simulateInputFromForm } from "@/lib/policies/form";
import { createPolicy } from "@/lib/policies/create-policy";
import { deletePolicy } from "@/lib/policies/delete-policy";
import { updatePolicy } from "@/lib/policies/update-policy";
import { importPolicies } from "@/lib/policies/import-policies";
import { simulatePolicy } from "@/lib/policies/simulate";

const field = (form: FormData, name: string) => String(form.get(name) ?? "");

export const createPolicyAction = sessionAction((ctx, form) => createPolicy(ctx, policyInputFromForm(form)), { revalidate: "/policies" });

export const updatePolicyAction = sessionAction((ctx, form) => updatePolicy(ctx, field(form, "id"), policyInputFromForm(form)), { revalidate: "/policies" });

export const deletePolicyAction = sessionAction((ctx, form) => deletePolicy(ctx, field(form, "id")), { revalidate: "/policies" });

export const simulatePolicyAction = sessionAction((ctx, form) => simulatePolicy(ctx, simulateInputFromForm(form)));

export const importPoliciesAction = sessionAction(
  (ctx, form) =>
    importPolicies(ctx, {
      format: field(form, "format") || "yaml",
      mode: field(form, "mode") || "merge",
      content: field(form, "content"),
      dryRun: form.get("dryRun") === "on",
    }),
  { revalidate: "/policies" },
);
