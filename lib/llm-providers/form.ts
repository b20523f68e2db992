/**
 * The Gateway page's form fields → the API's input shapes. Text stays text where the verb
 * validates it; only the price table's JSON syntax is checked here, to say where it breaks.
 */
import { ValidationError } from "@/lib/errors";
import { formText, wholeNumber } from "@core/text/form-fields";
import type { ProviderInputRaw, PutPricesInput } from "./schemas";

/**
 * On an edit, an empty API key field keeps the stored key (it is never shown, so the field is
 * always empty); the "remove" box clears it.
 */
export function providerInputFromForm(form: FormData, mode: "create" | "update"): ProviderInputRaw {
  const apiKey = formText(form, "apiKey");
  const remove = form.get("removeApiKey") === "on";
  const ttl = formText(form, "cacheTtlSeconds");
  return {
    slug: formText(form, "slug"),
    name: formText(form, "name"),
    kind: formText(form, "kind") as "openai" | "anthropic",
    baseUrl: formText(form, "baseUrl") || null,
    ...(remove ? { apiKey: null } : apiKey ? { apiKey } : mode === "create" ? { apiKey: null } : {}),
    cacheTtlSeconds: (ttl ? wholeNumber(ttl) : 0) as number,
    logBodies: form.get("logBodies") === "on",
    enabled: form.get("enabled") === "on",
  };
}

export function pricesInputFromForm(form: FormData): PutPricesInput {
  const text = formText(form, "prices");
  let prices: unknown;
  try {
    prices = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`The price table is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { prices: "not valid JSON" });
  }
  return { prices: prices as PutPricesInput["prices"] };
}
