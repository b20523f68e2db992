"use server";

import { sessionAction } from "@/lib/auth/action";
import { createBudget } from "@/lib/budgets/create-budget";
import { deleteBudget } from "@/lib/budgets/delete-budget";
import { updateBudget } from "@/lib/budgets/update-budget";
import { budgetInputFromForm } from "@/lib/budgets/form";
import { rateLimitInputFromForm } from "@/lib/rate-limits/form";
import { createRateLimit } from "@/lib/rate-limits/create-rate-limit";
import { deleteRateLimit } from "@/lib/rate-limits/delete-rate-limit";
import { updateRateLimit } from "@/lib/rate-limits/update-rate-limit";

const field = (form: FormData, name: string) => String(form.get(name) ?? "");

export const createBudgetAction = sessionAction((ctx, form) => createBudget(ctx, budgetInputFromForm(form)), { revalidate: "/budgets" });

export const updateBudgetAction = sessionAction((ctx, form) => updateBudget(ctx, field(form, "id"), budgetInputFromForm(form)), { revalidate: "/budgets" });

export const deleteBudgetAction = sessionAction((ctx, form) => deleteBudget(ctx, field(form, "id")), { revalidate: "/budgets" });

export const createRateLimitAction = sessionAction((ctx, form) => createRateLimit(ctx, rateLimitInputFromForm(form)), { revalidate: "/budgets" });

export const updateRateLimitAction = sessionAction((ctx, form) => updateRateLimit(ctx, field(form, "id"), rateLimitInputFromForm(form)), { revalidate: "/budgets" });

export const deleteRateLimitAction = sessionAction((ctx, form) => deleteRateLimit(ctx, field(form, "id")), { revalidate: "/budgets" });
