"use client";

import { useEffect, useId, useRef, useState } from "react";
import { useFieldError, useHydrated } from "../ui/action-form";
import { Field, Input } from "../ui/field";

type Mode = "block" | "log";

/**
 * How a block-list entry rolls out, inside an ActionForm: "Block now", or "Log first, then block"
 * with the date the edge starts blocking by itself (`mode`, `enforceAt` = YYYY-MM-DD, blocking from
 * 00:00 UTC that day; empty = log until changed). Controlled, so a refused submit keeps the choice;
 * it returns to its initial values when the form is reset after a success.
 */
export function RolloutFields({
  initialMode = "block",
  initialDate,
  defaultDate,
  legend = "When",
  blockNowLabel = "Block now",
}: {
  initialMode?: Mode;
  /** The entry's own date (YYYY-MM-DD) when changing one; else `defaultDate` is offered. */
  initialDate?: string | null;
  /** The date offered for a new rollout: 14 days from today (computed by the server, so both renders agree). */
  defaultDate: string;
  legend?: string;
  blockNowLabel?: string;
}) {
  const hydrated = useHydrated();
  const startDate = initialDate === undefined ? defaultDate : (initialDate ?? "");
  const [mode, setMode] = useState<Mode>(initialMode);
  const [date, setDate] = useState(startDate);
  const ref = useRef<HTMLFieldSetElement>(null);
  const hintId = useId();
  const modeError = useFieldError("mode");
  useEffect(() => {
    const form = ref.current?.form;
    if (!form) return;
    const reset = () => {
      setMode(initialMode);
      setDate(startDate);
    };
    form.addEventListener("reset", reset);
    return () => form.removeEventListener("reset", reset);
  }, [initialMode, startDate]);
  const radio = (value: Mode, label: string) => (
    <label className="flex items-center gap-2 text-sm text-zinc-800">
      <input type="radio" name="mode" value={value} checked={mode === value} onChange={() => setMode(value)} disabled={!hydrated} />
      {label}
    </label>
  );
  return (
    <fieldset ref={ref} className="col-span-full space-y-2">
      <legend className="text-sm font-medium text-zinc-800">{legend}</legend>
      <div className="flex flex-wrap gap-x-6 gap-y-1">
        {radio("block", blockNowLabel)}
        {radio("log", "Log first, then block")}
      </div>
      {modeError && <span className="block text-xs text-red-700">{modeError}</span>}
      {mode === "log" && (
        <div className="max-w-xs">
          <Field
            label="Block from (UTC)"
            hint={
              <span id={hintId}>
                Until then calls go through, marked “would block”. From 00:00 UTC that day the edge blocks by itself — no publish needed. Clear the date to log until you change it.
              </span>
            }
          >
            <Input type="date" name="enforceAt" value={date} onChange={(e) => setDate(e.target.value)} aria-describedby={hintId} disabled={!hydrated} />
          </Field>
        </div>
      )}
    </fieldset>
  );
}
