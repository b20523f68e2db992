"use server";

import { sessionAction } from "@/lib/auth/action";
import { pricesInputFromForm, providerInputFromForm } from "@/lib/llm-providers/form";
import { putLlmPrices } from "@/lib/llm-providers/put-llm-prices";
import { resetLlmPrices } from "@/lib/llm-providers/reset-llm-prices";
import { checkLlmProvider } from "@/lib/llm-providers/check-llm-provider";
import { createLlmProvider } from "@/lib/llm-providers/create-llm-provider";
import { deleteLlmProvider } from "@/lib/llm-providers/delete-llm-provider";
import { updateLlmProvider } from "@/lib/llm-providers/update-llm-provider";

const field = (form: FormData, name: string) => String(form.get(name) ?? "");

export const createLlmProviderAction = sessionAction((ctx, form) => createLlmProvider(ctx, providerInputFromForm(form, "create")), { revalidate: "/gateway" });

export const updateLlmProviderAction = sessionAction((ctx, form) => updateLlmProvider(ctx, field(form, "id"), providerInputFromForm(form, "update")), {
  revalidate: "/gateway",
});

export const checkLlmProviderAction = sessionAction((ctx, form) => checkLlmProvider(ctx, field(form, "id")), { revalidate: "/gateway" });

export const deleteLlmProviderAction = sessionAction((ctx, form) => deleteLlmProvider(ctx, field(form, "id")), { revalidate: "/gateway" });

export const saveLlmPricesAction = sessionAction((ctx, form) => putLlmPrices(ctx, pricesInputFromForm(form)), { revalidate: "/gateway" });

export const resetLlmPricesAction = sessionAction((ctx) => resetLlmPrices(ctx), { revalidate: "/gateway" });
