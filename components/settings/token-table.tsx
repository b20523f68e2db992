"use client";

import type { FormAction } from "@/lib/auth/action-result";
import type { TokenOutput } from "@/lib/tokens/schemas";
import { ActionForm, SubmitButton } from "../ui/action-form";
import { Badge } from "../ui/badge";
import { Table, Td } from "../ui/table";

function when(iso: string | null, fallback: string) {
  return iso ? new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }) + " UTC" : fallback;
}

export function TokenTable({ tokens, revoke, showOwner }: { tokens: TokenOutput[]; revoke: FormAction<TokenOutput>; showOwner: boolean }) {
  return (
    <Table
      head={["Name", "Token", ...(showOwner ? ["Owner"] : []), "Scopes", "Created", "Last used", "Expires", ""]}
      empty="No API tokens."
    >
      {tokens.map((t) => {
        return (
          <tr key={t.id} data-testid="token-row">
            <Td className="font-medium">{t.name}</Td>
            <Td>
              <code className="font-mono text-xs">{t.prefix}…</code>
            </Td>
            {showOwner && <Td>{t.userEmail}</Td>}
            <Td>
              <span className="flex gap-1">
                {t.scopes.map((s) => (
                  <Badge key={s} tone={s === "write" ? "amber" : "neutral"}>
                    {s}
                  </Badge>
                ))}
              </span>
            </Td>
            <Td className="text-zinc-600">{when(t.createdAt, "")}</Td>
            <Td className="text-zinc-600">{when(t.lastUsedAt, "never")}</Td>
            <Td className="text-zinc-600">{t.status === "expired" ? <Badge tone="red">expired</Badge> : when(t.expiresAt, "never")}</Td>
            <Td className="text-right">
              {t.revokedAt ? (
                <Badge tone="red">revoked</Badge>
              ) : (
                <ActionForm action={revoke} confirm={`Revoke “${t.name}”? Anything using it stops working at once.`}>
                  <input type="hidden" name="id" value={t.id} />
                  <SubmitButton variant="danger" pendingLabel="Revoking…">
                    Revoke
                  </SubmitButton>
                </ActionForm>
              )}
            </Td>
          </tr>
        );
      })}
    </Table>
  );
}
