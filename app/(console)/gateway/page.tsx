import type { Metadata } from "next";
import { PriceEditor } from "@/components/gateway/price-editor";
import { ProviderCheckCell } from "@/components/gateway/provider-check";
import { ProviderEditor } from "@/components/gateway/provider-editor";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { NameCell, Table, Td } from "@/components/ui/table";
import { can } from "@/lib/auth/actor";
import { requirePage } from "@/lib/auth/page";
import { formatUtc } from "@core/text/format";
import { listLlmPrices } from "@/lib/llm-providers/queries";
import { listLlmProviders } from "@/lib/llm-providers/queries";
import { portalPublicUrl } from "@/lib/config/edge-keys";
import { checkLlmProviderAction, createLlmProviderAction, deleteLlmProviderAction, resetLlmPricesAction, saveLlmPricesAction, updateLlmProviderAction } from "./actions";
import { EditDeleteCells, EditorCard, PublishLink } from "@/components/ui/row-actions";

export const metadata: Metadata = { title: "Gateway" };

const money = (v: number | undefined) => (v === undefined ? "—" : `$${v}`);

export default async function GatewayPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const ctx = await requirePage("gateway.read");
  const sp = await searchParams;
  const canManage = can(ctx.actor, "gateway.manage");
  const [providers, prices] = await Promise.all([listLlmProviders(ctx), listLlmPrices(ctx)]);
  const editing = typeof sp.edit === "string" ? providers.find((p) => p.id === sp.edit) : undefined;
  const portal = portalPublicUrl().replace(/\/+$/, "");

  return (
    <div className="space-y-6">
      <PageHeader
        title="LLM gateway"
        description={
          <>
            Clients call <code className="font-mono text-xs" data-testid="gateway-endpoint">{`${portal}/llm/<slug>/v1/...`}</code> with their Portcullis token instead of the provider&apos;s key; the portal adds the key, applies budgets and rate limits, and reports usage. Changes reach the edge when you <PublishLink />.
          </>
        }
      />

      <Card title={`Providers (${providers.length})`}>
        <Table head={["Provider", "Kind", "Endpoint at the portal", "Upstream", "Connection", "Key", "Cache", "", ""]} empty="No LLM providers yet.">
          {providers.map((p) => (
            <tr key={p.id} data-testid="provider-row" className={p.enabled ? "" : "opacity-50"}>
              <NameCell name={p.name} enabled={p.enabled}>
                <span className="block font-mono text-xs text-zinc-500">{p.slug}</span>
              </NameCell>
              <Td>{p.kind}</Td>
              <Td className="font-mono text-xs">
                <span data-testid="provider-endpoint">{`${portal}${p.gatewayPath}/...`}</span>
              </Td>
              <Td className="font-mono text-xs">{p.baseUrl}</Td>
              <Td className="max-w-xs text-xs">
                <ProviderCheckCell provider={p} testAgain={canManage ? checkLlmProviderAction : undefined} />
              </Td>
              <Td>{p.hasApiKey ? <Badge tone="green">set</Badge> : <Badge>none</Badge>}</Td>
              <Td className="text-xs">
                {p.cacheTtlSeconds ? `${p.cacheTtlSeconds} s` : "off"}
                {p.logBodies && <span className="block text-zinc-500">logs bodies</span>}
              </Td>
              <EditDeleteCells
                canManage={canManage}
                editHref={`/gateway?edit=${p.id}`}
                action={deleteLlmProviderAction}
                id={p.id}
                confirm={`Remove provider "${p.name}"?`}
                label="Remove"
                pendingLabel="Removing…"
              />
            </tr>
          ))}
        </Table>
      </Card>

      {canManage && (
        <EditorCard editing={editing} newTitle="Add a provider" pageHref="/gateway">
          <ProviderEditor action={editing ? updateLlmProviderAction : createLlmProviderAction} provider={editing} />
        </EditorCard>
      )}

      <Card
        title="Prices"
        description={
          prices.source === "default"
            ? "Built-in list prices (USD per million tokens). Edit and save to use your own; an exact model name beats a glob, a longer glob beats a shorter one."
            : `Your price table, saved ${prices.updatedAt ? formatUtc(prices.updatedAt) : ""}. An exact model name beats a glob, a longer glob beats a shorter one.`
        }
        actions={<Badge tone={prices.source === "default" ? "neutral" : "indigo"}>{prices.source === "default" ? "defaults" : "custom"}</Badge>}
      >
        {canManage ? (
          <PriceEditor action={saveLlmPricesAction} reset={resetLlmPricesAction} prices={prices} />
        ) : (
          <Table head={["Provider", "Model", "Input", "Cached input", "Cache write", "Output"]}>
            {prices.prices.map((p) => (
              <tr key={`${p.provider} ${p.model}`} data-testid="price-row">
                <Td>{p.provider}</Td>
                <Td className="font-mono text-xs">{p.model}</Td>
                <Td className="tabular-nums">{money(p.inputPerMTok)}</Td>
                <Td className="tabular-nums">{money(p.cachedInputPerMTok)}</Td>
                <Td className="tabular-nums">{money(p.cacheWritePerMTok)}</Td>
                <Td className="tabular-nums">{money(p.outputPerMTok)}</Td>
              </tr>
            ))}
          </Table>
        )}
      </Card>
    </div>
  );
}
