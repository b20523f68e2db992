"use server";

import { sessionAction } from "@/lib/auth/action";
import { signOut } from "@/lib/auth/config";
import { dismissBlockNotice } from "@/lib/shadow/my-notices";
import { liveStamp } from "@/lib/live/stamp";

/** Public by design: signing out needs no permission (and is harmless without a session). */
export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: "/sign-in" });
}

/** Hides a block-list notice from the caller's own Overview. */
export const dismissBlockNoticeAction = sessionAction((ctx, form) => dismissBlockNotice(ctx, String(form.get("id") ?? "")), { revalidate: "/" });

/** The live pages' poll (components/live/live-refresh.tsx): has anything the caller may see changed? */
export const liveStampAction = sessionAction((ctx) => liveStamp(ctx));
