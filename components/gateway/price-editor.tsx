"use client";

import type { FormAction } from "@/lib/auth/action-result";
import type { PricesOutput } from "@/lib/llm-providers/schemas";
import { ActionForm, SubmitButton } from "../ui/action-form";
import { Field } from "../ui/field";
import { PublishToApplyNote } from "../ui/row-actions";

/** The whole price table as JSON, saved at once (a table with any error changes nothing). */
export function PriceEditor({ action, reset, prices }: { action: FormAction<PricesOutput>; reset: FormAction<PricesOutput>; prices: PricesOutput }) {
  const key = `${prices.source}-${prices.updatedAt ?? "default"}`;
  return (
    <div className="space-y-3">
      <ActionForm
        key={key}
        action={action}
        className="space-y-3"
        successNote={<PublishToApplyNote what="meter with it" />}
      >
        <Field label="Price table (JSON)" hint="provider (openai | anthropic), model (exact name or glob with *), inputPerMTok, outputPerMTok, optional cachedInputPerMTok and cacheWritePerMTok — USD per million tokens">
          <textarea
            name="prices"
            rows={16}
            defaultValue={JSON.stringify(prices.prices, null, 2)}
            spellCheck={false}
            data-testid="price-table"
            className="block w-full rounded-md border border-zinc-300 px-2.5 py-1.5 font-mono text-xs"
          />
        </Field>
        <SubmitButton pendingLabel="Saving…">Save prices</SubmitButton>
      </ActionForm>
      {prices.source === "custom" && (
        <ActionForm action={reset} confirm="Forget the saved prices and use the built-in defaults?">
          <SubmitButton variant="secondary" pendingLabel="Resetting…">
            Reset to defaults
          </SubmitButton>
        </ActionForm>
      )}
    </div>
  );
}
