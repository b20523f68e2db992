/**
 * Severity of a shadow MCP finding, with the reasons that raised it. Pure. Points add up:
 * tool calls (more when tools that write were called), how many people use it, an unknown vendor,
 * plain HTTP to a non-local host, local processes started from packages fetched at launch.
 */
export type Severity = "low" | "medium" | "high";

export interface SeverityInput {
  kind: "remote" | "stdio";
  url?: string | null;
  vendor?: string | null;
  command?: string | null;
  methods: Readonly<Record<string, number>>;
  tools: Readonly<Record<string, number>>;
  userCount: number;
  deviceCount: number;
}

export interface SeverityResult {
  severity: Severity;
  score: number;
  reasons: string[];
}

const WRITE_VERBS = new Set([
  "create", "delete", "remove", "update", "write", "edit", "send", "post", "put", "patch", "exec", "execute", "run", "deploy",
  "merge", "push", "transfer", "pay", "charge", "refund", "drop", "insert", "upload", "move", "rename", "set", "add", "close",
  "archive", "invite", "grant", "revoke", "approve", "publish", "commit", "kill", "terminate", "restart", "modify", "replace",
]);

/** Whether a tool name reads like it changes something (`create_issue`, `deleteFile`, `repo.push`). */
export function isWriteTool(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  return words.some((w) => WRITE_VERBS.has(w));
}

const LAUNCHERS = /^(?:npx|bunx|pnpm\s+dlx|yarn\s+dlx|uvx|pipx\s+run|docker\s+run|podman\s+run|deno\s+run)\b/;
const LOCAL_HOST = /^(?:localhost|127\.\d+\.\d+\.\d+|\[::1\]|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(?:1[6-9]|2\d|3[01])\.\d+\.\d+)$/;

export function assessSeverity(f: SeverityInput): SeverityResult {
  const reasons: string[] = [];
  let score = 0;
  const calls = f.methods["tools/call"] ?? 0;
  if (calls > 0) {
    score += 2;
    reasons.push(`Tools were called (${calls} request${calls === 1 ? "" : "s"}).`);
    const writes = Object.keys(f.tools).filter(isWriteTool).sort();
    if (writes.length > 0) {
      score += 1;
      reasons.push(`Tools that change data were called: ${writes.slice(0, 5).join(", ")}${writes.length > 5 ? ", …" : ""}.`);
    }
  }
  if (f.userCount >= 10) {
    score += 2;
    reasons.push(`Used by ${f.userCount} people.`);
  } else if (f.userCount >= 3) {
    score += 1;
    reasons.push(`Used by ${f.userCount} people.`);
  }
  if (f.deviceCount >= 5) {
    score += 1;
    reasons.push(`Configured or seen on ${f.deviceCount} devices.`);
  }
  if (f.kind === "remote") {
    if (!f.vendor) {
      score += 1;
      reasons.push("Not a known vendor-hosted MCP endpoint (self-hosted or unknown).");
    }
    if (f.url) {
      try {
        const u = new URL(f.url);
        if (u.protocol === "http:" && !LOCAL_HOST.test(u.hostname)) {
          score += 1;
          reasons.push("Plain HTTP to a non-local host: traffic and credentials travel unencrypted.");
        }
      } catch {
        // Unparseable URLs never reach a finding (they are keyed by canonical URL).
      }
    }
  } else {
    score += 1;
    reasons.push("Runs on the laptop with its user's permissions, out of any network log.");
    if (f.command && LAUNCHERS.test(f.command.trim())) {
      score += 1;
      reasons.push(`Starts from a package fetched at launch (${f.command.trim().split(/\s+/).slice(0, 2).join(" ")} …).`);
    }
  }
  const severity: Severity = score >= 4 ? "high" : score >= 2 ? "medium" : "low";
  return { severity, score, reasons };
}
