"use server";

import { signOut } from "@/lib/auth/config";

/** Public by design: signing out needs no permission (and is harmless without a session). */
export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: "/sign-in" });
}
