"use server";

import { sessionAction } from "@/lib/auth/action";
import { pricesInputFromForm, providerInputFromForm } from "@/lib/llm-providers/form";
import { putLlmPrices, resetLlmPrices } from "@/lib/llm-providers/prices";
import { createLlmProvider, deleteLlmProvider, updateLlmProvider } from "@/lib/llm-providers/providers";

const field = (form: FormData, name: string) => String(form.get(name) ?? "");

export const createLlmProviderAction = sessionAction((ctx, form) => createLlmProvider(ctx, providerInputFromForm(form, "create")), { revalidate: "/gateway" });

export const updateLlmProviderAction = sessionAction((ctx, form) => updateLlmProvider(ctx, field(form, "id"), providerInputFromForm(form, "update")), {
  revalidate: "/gateway",
});

export const deleteLlmProviderAction = sessionAction((ctx, form) => deleteLlmProvider(ctx, field(form, "id")), { revalidate: "/gateway" });

export const saveLlmPricesAction = sessionAction((ctx, form) => putLlmPrices(ctx, pricesInputFromForm(form)), { revalidate: "/gateway" });

export const resetLlmPricesAction = sessionAction((ctx) => resetLlmPrices(ctx), { revalidate: "/gateway" });
