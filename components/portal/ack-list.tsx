import { Badge, type BadgeTone } from "../ui/badge";

export interface Ack {
  portalUrl: string;
  version: number;
  status: "accepted" | "refused" | "unreachable";
  activeVersion: number | null;
  message: string | null;
  at: string;
}

const TONE: Record<Ack["status"], BadgeTone> = { accepted: "green", refused: "red", unreachable: "amber" };

export function AckBadge({ status }: { status: Ack["status"] }) {
  return <Badge tone={TONE[status]}>{status}</Badge>;
}

/** Each portal's answer to a push: status, the version it runs now, and why it refused. */
export function AckList({ acks, empty = "No portal configured (PORTCULLIS_PORTAL_URLS)." }: { acks: Ack[]; empty?: string }) {
  if (acks.length === 0) return <p className="text-xs text-zinc-500">{empty}</p>;
  return (
    <ul className="space-y-1 text-xs" data-testid="acks">
      {acks.map((a) => (
        <li key={a.portalUrl} className="flex flex-wrap items-center gap-2">
          <AckBadge status={a.status} />
          <code className="font-mono">{a.portalUrl}</code>
          <span className="text-zinc-500">runs {a.activeVersion === null ? "—" : `v${a.activeVersion}`}</span>
          {a.message && <span className="text-zinc-600">{a.message}</span>}
        </li>
      ))}
    </ul>
  );
}
