import type { Metadata } from "next";
import { connection } from "next/server";
import { CreateSinkForm, SinkTable } from "@/components/settings/forwarding-sinks";
import { Card } from "@/components/ui/card";
import { can } from "@/lib/auth/actor";
import { requirePage } from "@/lib/auth/page";
import { MAX_ATTEMPTS } from "@/lib/forwarding/deliver";
import { listSinks } from "@/lib/forwarding/queries";
import { createSinkAction, deleteSinkAction, retryDeadLettersAction, setSinkEnabledAction } from "../actions";

export const metadata: Metadata = { title: "Forwarding" };

export default async function ForwardingPage() {
  await connection();
  const ctx = await requirePage("forwarding.read");
  const sinks = await listSinks(ctx);
  return (
    <div className="space-y-6">
      {can(ctx.actor, "forwarding.manage") && (
        <Card
          title="Add a sink"
          description={
            <>
              Every event the portal reports is forwarded to each enabled sink whose filters it passes, moments after it is stored: a signed webhook
              (<code>X-Portcullis-Signature: t=…,v1=…</code>, HMAC-SHA256 of <code>&lt;t&gt;.&lt;body&gt;</code>), Splunk&apos;s HTTP Event Collector, or an
              OpenTelemetry collector (OTLP/HTTP logs, with each call&apos;s trace and span ids). A sink that fails is retried with growing waits; after{" "}
              {MAX_ATTEMPTS} attempts a delivery becomes a dead letter until you retry it. Alerts go to the sinks that ask for them.
            </>
          }
        >
          <CreateSinkForm action={createSinkAction} />
        </Card>
      )}
      <Card title="Sinks and their deliveries">
        <SinkTable sinks={sinks} remove={deleteSinkAction} retry={retryDeadLettersAction} setEnabled={setSinkEnabledAction} />
      </Card>
    </div>
  );
}
