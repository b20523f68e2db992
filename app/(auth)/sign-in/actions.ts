"use server";

import { AuthError, CredentialsSignin } from "next-auth";
import { redirect } from "next/navigation";
import { signIn } from "@/lib/auth/config";
import { safeRedirectPath } from "@/lib/auth/redirect";

function failed(error: unknown, next: string): never {
  if (error instanceof AuthError) {
    const code = error instanceof CredentialsSignin ? error.code : error.type;
    redirect(`/sign-in?error=${encodeURIComponent(code)}&next=${encodeURIComponent(next)}`);
  }
  throw error;
}

/** Public by design: this is how an anonymous visitor becomes signed in. Loopback-only (see lib/auth/loopback.ts). */
export async function signInLocalAction(formData: FormData): Promise<void> {
  const next = safeRedirectPath(formData.get("next"));
  try {
    await signIn("local", { email: String(formData.get("email") ?? ""), name: String(formData.get("name") ?? ""), code: String(formData.get("code") ?? ""), redirectTo: next });
  } catch (error) {
    failed(error, next);
  }
}

/** Public by design: starts the redirect to the configured identity provider. */
export async function signInOidcAction(formData: FormData): Promise<void> {
  const next = safeRedirectPath(formData.get("next"));
  try {
    await signIn("oidc", { redirectTo: next });
  } catch (error) {
    failed(error, next);
  }
}
