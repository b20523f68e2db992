import { authorize } from "@/lib/auth/actor";
import type { Ctx } from "@/lib/context";
import { mcpDlpProfile, type DlpProfile } from "@core/shadow/exports";

/** The MCP DLP custom profile for Cloudflare Gateway (detects MCP JSON-RPC in request bodies). */
export function exportDlpProfile({ actor }: Ctx): DlpProfile {
  authorize(actor, "shadow.read");
  return mcpDlpProfile();
}
