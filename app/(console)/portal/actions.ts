"use server";

import { sessionAction } from "@/lib/auth/action";
import { publishConfig } from "@/lib/config/publish-config";
import { pushConfig } from "@/lib/config/push-config";
import { rollbackConfig } from "@/lib/config/rollback-config";
import { updateCodemodeSettings } from "@/lib/codemode/settings";
import { updateAuditDetail } from "@/lib/audit/detail-settings";

export const publishConfigAction = sessionAction((ctx) => publishConfig(ctx), { revalidate: "/portal" });

export const pushConfigAction = sessionAction((ctx) => pushConfig(ctx), { revalidate: "/portal" });

export const rollbackConfigAction = sessionAction(
  (ctx, form) => {
    const raw = form.get("version");
    // The verb validates; a form field is text, so only a plain whole number becomes a number here.
    return rollbackConfig(ctx, { version: typeof raw === "string" && /^\d{1,9}$/.test(raw) ? Number(raw) : raw });
  },
  { revalidate: "/portal" },
);

export const updateCodemodeAction = sessionAction((ctx, form) => updateCodemodeSettings(ctx, { mode: form.get("mode"), shape: form.get("shape"), approval: form.get("approval") ?? undefined }), { revalidate: "/portal" });

export const updateAuditDetailAction = sessionAction((ctx, form) => updateAuditDetail(ctx, { detail: form.get("detail") }), { revalidate: "/portal" });
