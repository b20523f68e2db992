import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { connection } from "next/server";
import { Card, PageHeader } from "@/components/ui/card";
import { CopyButton } from "@/components/ui/copy-button";
import { requirePage } from "@/lib/auth/page";
import { NotFoundError, ValidationError } from "@/lib/errors";
import { adoptFinding } from "@/lib/shadow/adopt-finding";
import type { FindingAdoptionOutput } from "@/lib/shadow/schemas";
import { utc } from "@/components/shadow/format";

export const metadata: Metadata = { title: "Adopt a local MCP server" };

const CODE = "overflow-x-auto whitespace-pre-wrap break-all rounded bg-zinc-900 p-3 font-mono text-xs text-zinc-50";

/** Adopt a laptop-scan stdio finding: run it behind the portal with the bridge (or rewrite it as a hosted server), then register it. */
export default async function AdoptFindingPage({ params }: { params: Promise<{ id: string }> }) {
  await connection();
  const ctx = await requirePage("shadow.triage");
  const { id } = await params;
  let adoption: FindingAdoptionOutput;
  try {
    adoption = await adoptFinding(ctx, id);
  } catch (error) {
    // A remote finding has nothing to adopt here (it is registered by its URL): its own page says so.
    if (error instanceof NotFoundError || error instanceof ValidationError) notFound();
    throw error;
  }
  return (
    <div className="max-w-4xl space-y-6">
      <Link href={`/shadow/${id}`} className="text-sm text-indigo-700 underline">
        ← Back to the finding
      </Link>
      <PageHeader
        title="Adopt this local MCP server"
        description="Run it behind the portal on the machine that should host it: only the portal can call it there, every call is authorized, audited and limited. Then request its registration; it is reviewed, pinned and scanned like any server, and this finding is resolved as approved once the request is saved."
      />
      {adoption.configurations.length === 0 && (
        <Card>
          <p className="text-sm text-zinc-700">No laptop scan kept this server&apos;s configuration (the scans that reported it are gone). Ask its user to run the scan again.</p>
        </Card>
      )}
      {adoption.configurations.map((c, i) => {
        const script = [...c.setup, c.bridge].join("\n");
        return (
          <Card
            key={i}
            title={`“${c.name}” as configured in ${c.seenOn.client}`}
            description={`${c.seenOn.device}, ${c.seenOn.configPath} — laptop scan of ${utc(c.seenOn.scannedAt)}`}
          >
            <div className="space-y-5" data-testid="adoption">
              <section className="space-y-2">
                <h3 className="text-sm font-semibold text-zinc-900">1. Run it behind the portal</h3>
                <p className="text-sm text-zinc-700">
                  {c.placeholders.length > 0 ? (
                    <>
                      Replace each placeholder ({c.placeholders.map((p) => `<${p}>`).join(", ")}) with the value from the laptop&apos;s own configuration: secrets never leave the laptop
                      in a scan.{" "}
                    </>
                  ) : null}
                  The bridge listens on {c.url} and accepts only requests that carry the portal&apos;s proof.
                </p>
                <pre className={CODE} data-testid="bridge-command">
                  {script}
                </pre>
                <CopyButton value={script} label="Copy the commands" />
                {c.env.length > 0 ? (
                  <p className="text-sm text-zinc-700" data-testid="needed-env">
                    The server needs these environment variables: <span className="font-mono text-xs">{c.env.join(", ")}</span>. Set them in the shell that runs the bridge; it
                    passes its environment on to the server.
                  </p>
                ) : (
                  <p className="text-sm text-zinc-700">Its configuration sets no environment variables.</p>
                )}
              </section>
              <section className="space-y-2">
                <h3 className="text-sm font-semibold text-zinc-900">2. Request its registration</h3>
                <p className="text-sm text-zinc-700">
                  With the bridge running, the request form connects to <span className="font-mono text-xs">{c.url}</span> and lists its tools.
                </p>
                <Link href={c.requestUrl} className="inline-block rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-700">
                  Request registration of {c.slug}
                </Link>
              </section>
              <section className="space-y-2 border-t border-zinc-100 pt-4">
                <h3 className="text-sm font-semibold text-zinc-900">Or rewrite it as a hosted server</h3>
                <p className="text-sm text-zinc-700">
                  Scaffold a Cloudflare Workers MCP server that only the portal can reach, move the tool handlers into it, and deploy it (its README says how):
                </p>
                <pre className={CODE} data-testid="new-server-command">
                  {c.newServer}
                </pre>
              </section>
            </div>
          </Card>
        );
      })}
    </div>
  );
}
