import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { connection } from "next/server";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { currentActor } from "@/lib/auth/session";
import { readAuthSettings } from "@/lib/auth/settings";
import { safeRedirectPath } from "@/lib/auth/redirect";
import { getDb } from "@/db/client";
import { hasActiveAdmin } from "@/lib/users/sign-in-user";
import { signInLocalAction, signInOidcAction } from "./actions";

export const metadata: Metadata = { title: "Sign in" };

const MESSAGES: Record<string, string> = {
  not_loopback: "Local sign-in works only from this machine (http://localhost). Configure an identity provider to sign in over a network.",
  invalid_input: "Enter a valid e-mail address.",
  sign_in_code: "That is not the sign-in code. Nobody administers this console yet: type the code that npm start printed in its terminal.",
  account_disabled: "Your account is disabled. Ask an administrator.",
  AccessDenied: "Access denied: your account is disabled, or your identity provider did not verify your e-mail address.",
  EmailNotVerified: "Your identity provider did not verify your e-mail address, so Portcullis cannot trust it. Ask IT to verify it at the identity provider.",
  MissingClaims: "Your identity provider did not send an e-mail address; ask IT to release the email claim.",
  OAuthCallbackError: "Sign-in with your identity provider failed. Try again.",
  CallbackRouteError: "Sign-in with your identity provider failed. Try again.",
  Configuration: "Sign-in is misconfigured on the server; the server log says why.",
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await connection();
  const params = await searchParams;
  const next = safeRedirectPath(params.next ?? params.callbackUrl);
  if (await currentActor()) redirect(next);
  const settings = readAuthSettings();
  const errorCode = typeof params.error === "string" ? params.error : undefined;
  const error = errorCode ? (MESSAGES[errorCode] ?? "Sign-in failed. Try again.") : undefined;
  // The first local sign-in becomes admin, so it must show it sees this machine's terminal.
  const askCode = !settings.oidc && !(await hasActiveAdmin(await getDb()));
  const code = typeof params.code === "string" ? params.code.slice(0, 40) : "";

  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm">
        <div className="mb-6 text-center">
          <div className="mx-auto flex h-10 w-10 items-center justify-center rounded-lg bg-indigo-600 text-lg font-bold text-white">P</div>
          <h1 className="mt-3 text-xl font-semibold">Sign in to Portcullis</h1>
          <p className="mt-1 text-sm text-zinc-600">Control plane for your company&apos;s MCP servers</p>
        </div>
        <div className="space-y-4 rounded-lg border border-zinc-200 bg-white p-6 shadow-sm">
          {error && (
            <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
              {error}
            </p>
          )}
          {settings.oidc ? (
            <form action={signInOidcAction}>
              <input type="hidden" name="next" value={next} />
              <Button type="submit" className="w-full">
                Sign in with {settings.oidc.name}
              </Button>
            </form>
          ) : (
            <>
              <div className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-xs text-amber-900" data-testid="local-mode-banner">
                <p className="font-semibold">Local mode</p>
                <p className="mt-1">
                  No identity provider is configured. Sign-in works only from this machine and asks for no password; the first person to
                  sign in becomes admin, with the code <code>npm start</code> printed in its terminal. Set <code>OIDC_ISSUER</code>, <code>OIDC_CLIENT_ID</code> and <code>OIDC_CLIENT_SECRET</code> for single
                  sign-on.
                </p>
              </div>
              <form action={signInLocalAction} className="space-y-3">
                <input type="hidden" name="next" value={next} />
                <Field label="E-mail">
                  <Input name="email" type="email" required autoComplete="email" placeholder="you@example.com" />
                </Field>
                <Field label="Name (optional)">
                  <Input name="name" autoComplete="name" />
                </Field>
                {askCode && (
                  <Field label="Sign-in code" hint="Printed by npm start in its terminal; needed once, by the first person (who becomes admin).">
                    <Input name="code" required autoComplete="one-time-code" defaultValue={code} placeholder="XXXX-XXXX-XXXX" />
                  </Field>
                )}
                <Button type="submit" className="w-full">
                  Sign in locally
                </Button>
              </form>
            </>
          )}
        </div>
      </div>
    </main>
  );
}
