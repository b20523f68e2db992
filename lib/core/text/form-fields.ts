/**
 * Form fields as the editors' server actions read them. Text stays text where the verb validates it
 * (a limit that is not a whole number reaches zod as text and is refused there, with its message).
 */

/** The field's text, trimmed; "" when it is missing or a file. */
export const formText = (form: FormData, name: string): string => {
  const v = form.get(name);
  return typeof v === "string" ? v.trim() : "";
};

/** "42" → 42; anything else stays as written, for the schema to refuse. */
export const wholeNumber = (value: string): number | string => (/^\d{1,15}$/.test(value) ? Number(value) : value);
