import { Badge, type BadgeTone } from "../ui/badge";

const STATUS: Record<string, { tone: BadgeTone; label: string }> = {
  pending_review: { tone: "amber", label: "pending review" },
  approved: { tone: "green", label: "approved" },
  rejected: { tone: "red", label: "rejected" },
};

export function ServerStatusBadge({ status }: { status: string }) {
  const s = STATUS[status] ?? { tone: "neutral" as const, label: status };
  return <Badge tone={s.tone}>{s.label}</Badge>;
}

const TOOL: Record<string, BadgeTone> = { enabled: "green", disabled: "neutral", quarantined: "red", removed: "neutral" };

export function ToolStateBadge({ state }: { state: string }) {
  return <Badge tone={TOOL[state] ?? "neutral"}>{state}</Badge>;
}

const SEVERITY: Record<string, BadgeTone> = { high: "red", medium: "amber", low: "neutral" };

export function SeverityBadge({ severity, title }: { severity: string; title?: string }) {
  return (
    <span title={title}>
      <Badge tone={SEVERITY[severity] ?? "neutral"}>{severity}</Badge>
    </span>
  );
}
