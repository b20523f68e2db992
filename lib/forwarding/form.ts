/**
 * The Settings → Forwarding form → the API's input shape (zod validates it in createSink). A count
 * that is not a number reaches zod as text and is refused there with a message.
 */
import { formText } from "@core/text/form-fields";

const count = (value: string): number | string => (/^\d{1,10}$/.test(value) ? Number(value) : value);

export function sinkInputFromForm(form: FormData): Record<string, unknown> {
  const kind = formText(form, "kind");
  const headerName = formText(form, "headerName");
  const spikeMetric = formText(form, "spikeMetric");
  return {
    kind,
    name: formText(form, "name"),
    url: formText(form, "url"),
    ...(kind === "splunk_hec" ? { token: formText(form, "token") } : {}),
    ...(kind === "otlp" && headerName ? { headers: { [headerName]: formText(form, "headerValue") } } : {}),
    forwardEvents: form.get("forwardEvents") === "true",
    filters: {
      kinds: form.getAll("kinds").map(String),
      decisions: form.getAll("decisions").map(String),
      servers: formText(form, "servers")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    },
    alertRules: {
      spikes: spikeMetric ? [{ metric: spikeMetric, threshold: count(formText(form, "spikeThreshold")), windowMinutes: count(formText(form, "spikeWindowMinutes") || "60") }] : [],
      shadowHigh: form.get("shadowHigh") === "true",
      budgets: form.get("budgets") === "true",
    },
  };
}
