"use server";

import { sessionAction } from "@/lib/auth/action";
import { signOut } from "@/lib/auth/config";
import { dismissBlockNotice } from "@/lib/shadow/my-notices";

/** Public by design: signing out needs no permission (and is harmless without a session). */
export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: "/sign-in" });
}

/** Hides a block-list notice from the caller's own Overview. */
export const dismissBlockNoticeAction = sessionAction((ctx, form) => dismissBlockNotice(ctx, String(form.get("id") ?? "")), { revalidate: "/" });
