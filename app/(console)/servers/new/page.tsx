import type { Metadata } from "next";
import { RequestServerForm } from "@/components/servers/request-server-form";
import { Card, PageHeader } from "@/components/ui/card";
import { requirePage } from "@/lib/auth/page";
import { listTeams } from "@/lib/teams/queries";
import { requestServerAction, startUpstreamOAuthAction } from "../actions";

export const metadata: Metadata = { title: "Request a server" };

export default async function NewServerPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const ctx = await requirePage("servers.request");
  const params = await searchParams;
  const oauthFlow = typeof params.oauthFlow === "string" && /^[0-9a-f-]{36}$/.test(params.oauthFlow) ? params.oauthFlow : undefined;
  const oauthError = typeof params.oauthError === "string" ? params.oauthError.slice(0, 500) : undefined;
  const teams = await listTeams(ctx);
  // Prefilled from a shadow-MCP finding's Approve or Adopt (lib/shadow/approve-finding.ts registrationRequestUrl).
  const str = (k: string, max: number) => (typeof params[k] === "string" ? (params[k] as string).slice(0, max) : undefined);
  const finding = str("finding", 36);
  const prefill = finding
    ? { name: str("name", 100), slug: str("slug", 40), url: str("url", 2000), description: str("description", 2000), justification: str("justification", 4000), finding: /^[0-9a-f-]{36}$/.test(finding) ? finding : undefined }
    : undefined;
  return (
    <div className="max-w-3xl">
      <PageHeader
        title="Request an MCP server"
        description="Portcullis connects to it now, lists its tools, prompts and resources, and scans them. An approver then decides which tools your company may use."
      />
      <Card>
        <RequestServerForm
          action={requestServerAction}
          startOAuth={startUpstreamOAuthAction}
          teams={teams.map((t) => ({ id: t.id, name: t.name }))}
          oauthFlow={oauthFlow}
          oauthError={oauthError}
          prefill={prefill}
        />
      </Card>
    </div>
  );
}
