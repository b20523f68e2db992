import { LiveRefresh } from "@/components/live/live-refresh";
import type { Ctx } from "@/lib/context";
import { liveStamp } from "@/lib/live/stamp";
import { liveStampAction } from "./actions";

/** A live page's header line: when it was rendered, and a background poll that renders it again when something changed. */
export async function Live({ ctx }: { ctx: Ctx }) {
  const { stamp, at } = await liveStamp(ctx);
  return <LiveRefresh renderedAt={at} stamp={stamp} poll={liveStampAction} />;
}
