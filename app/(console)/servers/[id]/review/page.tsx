import type { Metadata } from "next";
import Link from "next/link";
import { ServerStatusBadge } from "@/components/servers/badges";
import { ApproveForm, RejectForm } from "@/components/servers/review-form";
import { Card, PageHeader } from "@/components/ui/card";
import { requirePage } from "@/lib/auth/page";
import { getServer } from "@/lib/servers/queries";
import { approveServerAction, rejectServerAction } from "../../actions";

export const metadata: Metadata = { title: "Review server" };

export default async function ReviewServerPage({ params }: { params: Promise<{ id: string }> }) {
  const ctx = await requirePage("servers.review");
  const { id } = await params;
  const server = await getServer(ctx, id);
  const ownRequest = server.requestedBy?.id === ctx.actor.userId;
  return (
    <div className="max-w-4xl space-y-6">
      <PageHeader
        title={`Review ${server.name}`}
        description={
          <span className="flex items-center gap-2">
            <ServerStatusBadge status={server.status} />
            <span>
              requested by {server.requestedBy?.email ?? "—"} · <Link href={`/servers/${server.id}`} className="text-indigo-700 hover:underline">server details</Link>
            </span>
          </span>
        }
      />
      {ownRequest && (
        <p role="alert" className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          You requested this server. {ctx.actor.role === "admin" ? "As an admin you may approve it anyway; the override of the four-eyes rule is recorded." : "Another approver must approve it (four-eyes rule)."}
        </p>
      )}
      {server.status === "rejected" ? (
        <Card>
          <p className="text-sm">This server was rejected: {server.decision.reason}</p>
        </Card>
      ) : (
        <>
          <Card
            title="Approve"
            description="Pick the tools AI clients may use. Each tool is pinned to the definition you see: if the upstream changes it, the tool is quarantined until someone re-approves."
          >
            <ApproveForm serverId={server.id} tools={server.tools ?? []} action={approveServerAction} reapproval={server.status === "approved"} />
          </Card>
          <Card title={server.status === "approved" ? "Withdraw" : "Reject"}>
            <RejectForm serverId={server.id} action={rejectServerAction} withdraw={server.status === "approved"} />
          </Card>
        </>
      )}
    </div>
  );
}
