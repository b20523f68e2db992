import { toolEffect } from "@core/tools/tool-effect";

/**
 * Which tools make a Code Mode call wait for the user's approval (docs/codemode.md, "Approval
 * pause"): the tool's own flag first ("ask", "never"); without one, the portal's rule — "flagged"
 * asks for none, "writes" asks for every tool that is not read-only and every destructive one (as
 * the approved definition's annotations say).
 */
export const APPROVAL_RULES = ["flagged", "writes"] as const;
export type ApprovalRule = (typeof APPROVAL_RULES)[number];
export type ToolApproval = "ask" | "never" | null;

export function needsApproval(flag: ToolApproval, annotations: unknown, rule: ApprovalRule): boolean {
  if (flag === "ask") return true;
  if (flag === "never" || rule === "flagged") return false;
  return toolEffect(annotations) !== "read-only";
}
