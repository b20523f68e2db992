import type { Metadata } from "next";
import { CreateTokenForm } from "@/components/settings/create-token-form";
import { TokenTable } from "@/components/settings/token-table";
import { Card } from "@/components/ui/card";
import { can } from "@/lib/auth/actor";
import { portalPublicUrl } from "@/lib/config/edge-keys";
import { requirePage } from "@/lib/auth/page";
import { listTokens } from "@/lib/tokens/queries";
import { createTokenAction, revokeTokenAction } from "../actions";

export const metadata: Metadata = { title: "API tokens" };

export default async function TokensPage() {
  const ctx = await requirePage("tokens.read-own");
  const mine = await listTokens(ctx, { all: false, includeRevoked: false });
  const portal = portalPublicUrl();
  const everyone = can(ctx.actor, "tokens.read-all") ? await listTokens(ctx, { all: true, includeRevoked: false }) : null;
  return (
    <div className="space-y-6">
      <Card
        title="Create an API token"
        description={
          <>
            Use it as <code>Authorization: Bearer pcs_…</code> against <code>/api/v1</code>. It acts as you, with your current role, limited to
            its scopes. It is also the key for the portal:{" "}
            <span data-testid="token-portal-use">
              MCP clients and agents send it to <code>{portal}/mcp</code>, and LLM SDKs use it as their API key with the base URL{" "}
              <code>{portal}/llm/&lt;provider&gt;/v1</code>
            </span>
            . A <em>read</em> token reaches only tools approved as read-only; calling other tools or LLMs (which spend budget) needs <em>write</em>.
          </>
        }
      >
        <CreateTokenForm action={createTokenAction} allowWrite={ctx.actor.role !== "viewer"} />
      </Card>
      <Card title="Your tokens">
        <TokenTable tokens={mine} revoke={revokeTokenAction} showOwner={false} />
      </Card>
      {everyone && (
        <Card title="All active tokens" description="Visible to security and admins, who can revoke any token.">
          <TokenTable tokens={everyone} revoke={revokeTokenAction} showOwner />
        </Card>
      )}
    </div>
  );
}
