/**
 * The budget editor's form fields → the API's input shape. A limit that is not a plain number
 * reaches zod as text and is refused there with a message (never NaN); "$1,250.50" is accepted.
 */
import { formText } from "@core/text/form-fields";
import type { BudgetInputRaw } from "./schemas";

const amount = (value: string): number | string => {
  const plain = value.replace(/^\$/, "").replaceAll(",", "").replaceAll("_", "").trim();
  return /^\d{1,16}(\.\d{1,12})?$/.test(plain) ? Number(plain) : value;
};

export function budgetInputFromForm(form: FormData): BudgetInputRaw {
  return {
    name: formText(form, "name"),
    subject: formText(form, "subject"),
    metric: formText(form, "metric") as "tokens" | "usd",
    limit: amount(formText(form, "limit")) as number,
    period: formText(form, "period") as "day" | "week" | "month",
    onExceed: (formText(form, "onExceed") || "block") as "block" | "flag",
    alertWebhookUrl: formText(form, "alertWebhookUrl") || null,
    enabled: form.get("enabled") === "on",
  };
}
