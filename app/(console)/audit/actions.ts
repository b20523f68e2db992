"use server";

import { sessionAction } from "@/lib/auth/action";
import { deleteSavedView } from "@/lib/audit/delete-saved-view";
import { saveView } from "@/lib/audit/save-view";

// Actions only translate a form into a verb's input; each verb authorizes and validates itself.
const field = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
};

export const saveViewAction = sessionAction((ctx, form) => saveView(ctx, { name: field(form, "name"), query: field(form, "query") }), { revalidate: "/audit" });

export const deleteSavedViewAction = sessionAction((ctx, form) => deleteSavedView(ctx, field(form, "id")), { revalidate: "/audit" });
