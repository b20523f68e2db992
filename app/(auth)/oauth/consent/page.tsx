import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { connection } from "next/server";
import { ConsentForm } from "@/components/portal/consent-form";
import { can } from "@/lib/auth/actor";
import { currentActor } from "@/lib/auth/session";
import { checkReturnTo } from "@/lib/auth/answer-consent";
import { answerConsentAction } from "./actions";

export const metadata: Metadata = { title: "Connect an MCP client" };

const one = (v: string | string[] | undefined) => (typeof v === "string" ? v : "");

/**
 * The portal's OAuth sign-in and consent page. The portal sends the browser here with its pending
 * request (`state`) and where to come back (`return`, which must be a configured portal); a signed-in
 * person allows or denies the client.
 */
export default async function ConsentPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await connection();
  const params = await searchParams;
  const state = one(params.state);
  const returnTo = one(params.return);
  const client = one(params.client).slice(0, 200);
  const redirectHost = one(params.redirect).slice(0, 200);

  let problem: string | null = null;
  try {
    if (!/^[A-Za-z0-9._~-]{16,512}$/.test(state)) throw new Error("missing state");
    checkReturnTo(returnTo);
  } catch {
    problem = "This link is not a valid sign-in request from your company's MCP portal. Start again from your MCP client.";
  }

  const actor = await currentActor();
  if (!problem && !actor) {
    const here = `/oauth/consent?${new URLSearchParams({ state, return: returnTo, client, redirect: redirectHost })}`;
    redirect(`/sign-in?next=${encodeURIComponent(here)}`);
  }
  if (!problem && actor && !can(actor, "portal.use")) {
    problem = `Your role (${actor.role}) may not use the MCP portal: members and above may. Ask an administrator for the member role.`;
  }

  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-md rounded-lg border border-zinc-200 bg-white p-6 shadow-sm">
        <div className="mx-auto flex h-10 w-10 items-center justify-center rounded-lg bg-indigo-600 text-lg font-bold text-white">P</div>
        <h1 className="mt-3 text-center text-xl font-semibold">Connect an MCP client</h1>
        {problem ? (
          <p className="mt-4 text-sm text-red-700" role="alert">
            {problem}
          </p>
        ) : (
          <>
            <p className="mt-4 text-sm text-zinc-700">
              An MCP client calling itself <strong data-testid="consent-client">{client || "(no name)"}</strong> wants to use your company&apos;s approved MCP
              servers through Portcullis as <strong>{actor!.email}</strong>.
            </p>
            {/* The name is whatever the client registered; the destination is what decides who gets the grant. */}
            <div className="mt-3 rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900">
              Access goes to <span className="font-mono font-semibold" data-testid="consent-redirect">{redirectHost || "(unknown)"}</span>. Allow only if you
              started this sign-in from that app or site just now.
            </div>
            <ul className="mt-3 list-disc space-y-1 pl-5 text-sm text-zinc-600">
              <li>It can call the tools your access policies allow you, and nothing else.</li>
              <li>Every call is recorded in the audit log.</li>
            </ul>
            <ConsentForm action={answerConsentAction} state={state} returnTo={returnTo} client={client} redirect={redirectHost} />
          </>
        )}
      </div>
    </main>
  );
}
