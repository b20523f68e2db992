"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";
import type { ActionResult } from "@/lib/auth/action-result";
import type { LiveStamp } from "@/lib/live/stamp";

export const LIVE_INTERVAL_MS = 15_000;

/**
 * A live page's "Updated …": every 15 s (and when the tab comes back) it asks the console whether
 * anything the caller may see changed — a new event, a new publish — and if so renders the page
 * again on the server (router.refresh keeps scroll, open drawers and form input).
 */
export function LiveRefresh({ renderedAt, stamp, poll }: { renderedAt: string; stamp: string; poll: (previous: ActionResult<LiveStamp> | null, form: FormData) => Promise<ActionResult<LiveStamp>> }) {
  const router = useRouter();
  const shown = useRef(stamp);
  useEffect(() => {
    shown.current = stamp;
  }, [stamp]);
  const { data, isError } = useQuery({
    queryKey: ["live-stamp"],
    queryFn: async () => {
      const result = await poll(null, new FormData());
      if (!result.ok) throw new Error(result.error.message);
      return result.data;
    },
    refetchInterval: LIVE_INTERVAL_MS,
  });
  useEffect(() => {
    if (data && data.stamp !== shown.current) {
      shown.current = data.stamp;
      router.refresh();
    }
  }, [data, router]);
  return (
    <p className="text-xs text-zinc-500" data-testid="live-updated" title="Refreshes by itself when new calls arrive or a configuration is published">
      Updated {renderedAt.slice(11, 19)} UTC{isError ? " · not refreshing (the console did not answer)" : " · live"}
    </p>
  );
}
