/** Rules on data leaving: secret files and credentials, URLs and addresses to send data to, shell commands. */

import { firstMatch, type Report, type Severity } from "./findings";
import { each, token } from "./text";

// Sensitive data.

const SENSITIVE_PATH = new RegExp(
  [
    String.raw`(?<![\w])\.ssh(?![\w-])`,
    String.raw`(?<![A-Za-z0-9])id[\s_-]?(?:rsa|dsa|ecdsa|ed25519)(?![A-Za-z0-9])`,
    String.raw`(?<![\w.-])\.env(?![A-Za-z0-9_-])`,
    String.raw`\/etc\/(?:passwd|shadow|sudoers)\b`,
    String.raw`\.aws\/(?:credentials|config)\b`,
    String.raw`\baws[\s_]secret[\s_]access[\s_]key\b`,
    String.raw`(?<![\w-])mcp\.json\b`,
    String.raw`\bclaude_desktop_config\.json\b`,
    String.raw`(?<![\w])\.cursor\/`,
    String.raw`\.kube\/config\b`,
    String.raw`\.docker\/config\.json\b`,
    String.raw`\.config\/gh\/hosts\.yml\b`,
    String.raw`(?<![\w])\.(?:npmrc|pypirc|netrc|git-credentials|pgpass|bash_history|zsh_history|gnupg)\b`,
    String.raw`\bwallet\.dat\b`,
  ].join("|"),
  "gi",
);
const SENSITIVE_WORD = /\b(?:private[\s_-]?keys?|api[\s_-]?keys?|secret[\s_-]?keys?|passwords?|passphrases?|credentials?|(?:access|auth|bearer|refresh)[\s_-]?tokens?|session[\s_-]?(?:cookies?|tokens?)|seed[\s_-]?phrases?|mnemonic[\s_-]?phrases?|ssh[\s_-]?keys?)\b/gi;
/**
 * Imperative and gerund forms only: "read ~/.ssh/id_rsa" instructs the model, while "reads
 * settings from .env" describes the tool.
 */
const READ_VERB = /(?<![A-Za-z])(?:read|reading|cat|open|opening|retrieve|retrieving|fetch|fetching|extract|extracting|collect|collecting|gather|grab|dump|print|output|copy|copying)(?![A-Za-z])/gi;
const SEND_VERB = /(?<![A-Za-z])(?:send|sending|sent|include|including|pass|passing|upload|uploading|post|posting|forward|forwarding|share|sharing|attach|attaching|append|appending|embed|embedding|exfiltrate|leak|transmit|provide|providing|paste|insert|submit|put)(?![A-Za-z])/gi;
/** How far (in characters) a verb may be from the secret it refers to. */
const VERB_REACH = 100;

/** Start offsets of every match, found once per text so each secret's check is a binary search. */
function offsets(re: RegExp, text: string): number[] {
  const found: number[] = [];
  each(re, text, (m) => void found.push(m.index));
  return found;
}

function anyWithin(sorted: number[], from: number, to: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] ?? 0) < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && (sorted[lo] ?? 0) <= to;
}

/**
 * A secret path is high when a verb nearby tells the model to do something with it; a credential
 * word only when the verb moves data (send, include, pass…), since tools that manage passwords
 * legitimately "get" or "read" them.
 */
export function scanSensitive(text: string, report: Report): void {
  let tokenEnd = 0;
  let verbs: { read: number[]; send: number[] } | undefined;
  const near = (kind: "read" | "send", start: number, end: number) => {
    verbs ??= { read: offsets(READ_VERB, text), send: offsets(SEND_VERB, text) };
    return anyWithin(verbs[kind], start - VERB_REACH, end + VERB_REACH);
  };
  each(SENSITIVE_PATH, text, (m) => {
    // `~/.cursor/mcp.json` matches twice (".cursor/", "mcp.json"): one path, one finding.
    if (m.index < tokenEnd) return;
    const [start, end] = token(text, m.index, m.index + m[0].length);
    tokenEnd = end;
    const saturation = report.saturation("sensitive-data");
    if (saturation !== "open") return saturation === "stop";
    const acted = near("read", m.index, end) || near("send", m.index, end);
    report("sensitive-data", acted ? "high" : "medium", start, end, acted ? "Tells the model to read or pass on a secret file." : "Mentions a secret file.", true);
  });
  each(SENSITIVE_WORD, text, (m) => {
    const saturation = report.saturation("sensitive-data");
    if (saturation !== "open") return saturation === "stop";
    const end = m.index + m[0].length;
    const severity: Severity = near("send", m.index, end) ? "high" : near("read", m.index, end) ? "medium" : "low";
    report("sensitive-data", severity, m.index, m.index + m[0].length, severity === "high" ? "Tells the model to pass on a credential." : "Mentions a credential.");
  });
}

// Exfiltration.

const URL_PATTERN = /\b(?:https?|ftp|wss?):\/\/[^\s<>"'`)\]]+/gi;
const COLLECTOR_HOST = /(?:^|\.)(?:webhook\.site|requestbin\.(?:com|net)|pipedream\.net|ngrok\.io|ngrok\.app|ngrok-free\.app|pastebin\.com|paste\.ee|hastebin\.com|transfer\.sh|burpcollaborator\.net|oastify\.com|oast\.(?:pro|live|site|online|fun|me)|interact\.sh|requestcatcher\.com|beeceptor\.com|hookbin\.com|canarytokens\.com|trycloudflare\.com|serveo\.net|loca\.lt|localtunnel\.me|hooks\.slack\.com|api\.telegram\.org)$/i;
const WEBHOOK_PATH = /\/api\/webhooks\//i;
const PLACEHOLDER_PARAM = /[?&][\w.[\]-]+=(?:$|&|\{|\$\{|%7B|%3C|\[|…)/i;
const DATA_PARAM = /[?&](?:data|payload|secret|secrets|token|key|apikey|api_key|password|passwd|pwd|creds|credentials|ssh|exfil|leak|content|contents|conversation|history|chat|messages?|env|cookie|session|file)=/i;
const SEND_TO = /\b(?:send|sends|sending|sent|post|posts|posting|upload|uploads|forward|forwards|transmit|submit|leak|exfiltrate|deliver|beacon)\b[^\n]{0,100}?\b(?:to|at|into|via)\s*[`'"(<[:]*\s*$/i;
const EMAIL_LOCAL = /[\w.+-]/;
const EMAIL_DOMAIN = /^[\w-]+(?:\.[\w-]+)+/;
const MAIL_TO = /\b(?:send|sends|forward|forwards|bcc|cc|copy|redirect|deliver|route|email|mail)\b[^\n]{0,80}?\b(?:to|at)\s*:?\s*[`'"(<]*\s*$|\b(?:bcc|cc)\s*:?\s*$/i;
const DATA_WORDS = /\b(?:all|every|any|each|copy|contents?|data|conversation|history|messages?|e-?mails?|secrets?|keys?|credentials?|passwords?|tokens?|files?|bcc|cc|everything)\b/i;
const IPV4_HOST = /^\d{1,3}(?:\.\d{1,3}){3}$/;

function hostOf(url: string): string {
  const m = /^[a-z]+:\/\/(?:[^@/?#]*@)?([^/?#:]+)/i.exec(url);
  return (m?.[1] ?? "").toLowerCase();
}

/**
 * Email addresses found from each "@" outwards: a regex such as `[\w.]+@…` would retry the whole
 * run of word characters at every position of a long text with no "@" (quadratic).
 */
function emailAddresses(text: string): [number, number][] {
  const found: [number, number][] = [];
  for (let at = text.indexOf("@"); at !== -1; at = text.indexOf("@", at + 1)) {
    let start = at;
    while (start > 0 && at - start < 64 && EMAIL_LOCAL.test(text[start - 1] ?? " ")) start--;
    const domain = EMAIL_DOMAIN.exec(text.slice(at + 1, at + 256));
    if (start < at && domain) found.push([start, at + 1 + domain[0].length]);
  }
  return found;
}

export function scanUrlsAndAddresses(text: string, report: Report): void {
  each(URL_PATTERN, text, (m) => {
    const saturation = report.saturation("exfiltration");
    if (saturation !== "open") return saturation === "stop";
    const url = m[0].replace(/[.,;:!?]+$/, "");
    const start = m.index;
    const end = start + url.length;
    const host = hostOf(url);
    const before = text.slice(Math.max(0, start - 120), start);
    const placeholder = PLACEHOLDER_PARAM.test(url) || (url.endsWith("=") && /^[<[{]/.test(text.slice(end, end + 1)));
    if (COLLECTOR_HOST.test(host) || WEBHOOK_PATH.test(url)) {
      report("exfiltration", "high", start, end, `Data-collector host (${host}).`, true);
    } else if (placeholder || DATA_PARAM.test(url)) {
      report("exfiltration", "high", start, end, "URL with a query parameter for the model to fill with data.", true);
    } else if (SEND_TO.test(before)) {
      report("exfiltration", DATA_WORDS.test(before) ? "high" : "medium", start, end, "Tells the model to send something to this URL.", true);
    } else if (IPV4_HOST.test(host)) {
      report("exfiltration", "medium", start, end, "URL to a bare IP address.", true);
    } else {
      report("external-url", "low", start, end, `Links to ${host || "an external site"}.`, true);
    }
  });
  for (const [start, end] of emailAddresses(text)) {
    const saturation = report.saturation("exfiltration");
    if (saturation === "stop") break;
    if (saturation === "skip") continue;
    const before = text.slice(Math.max(0, start - 100), start);
    if (!MAIL_TO.test(before)) continue;
    report("exfiltration", DATA_WORDS.test(before) ? "high" : "medium", start, end, "Tells the model to send messages or data to this address.", true);
  }
}

// Shell commands.

const SHELL_FETCH = /\b(?:curl|wget|Invoke-WebRequest|iwr)\b[^\n]{0,200}/gi;
const SHELL_DATA_FLAG = /(?:^|\s)(?:-d|--data(?:-binary|-raw|-urlencode)?|-F|--form|-T|--upload-file|--post-data|--post-file|-X\s*(?:POST|PUT)|-Method\s+Post)(?=\s|=|$)|\$\(|`[^`]*`|@[~/$]/;
const SHELL_PIPE_EXEC = /\|\s*(?:sudo\s+)?(?:sh|bash|zsh|python3?|node|perl|iex)\b/i;
const SHELL_OTHER: readonly [RegExp, string][] = [
  [/\brm\s+-(?:rf|fr)\s+[~/*$]/gi, "Destructive shell command."],
  [/\bchmod\s+(?:\+x|777)\b/gi, "Shell command changing permissions."],
  [/\bbase64\s+(?:-d|--decode)\b/gi, "Shell command decoding a hidden payload."],
];

export function scanShell(text: string, report: Report): void {
  each(SHELL_FETCH, text, (m) => {
    const cmd = m[0];
    const end = m.index + cmd.length;
    const hasTarget = /https?:\/\/|\b\w+(?:\.\w+)+\//.test(cmd);
    if (SHELL_PIPE_EXEC.test(cmd)) report("shell-command", "high", m.index, end, "Download-and-execute shell command.");
    else if (hasTarget && SHELL_DATA_FLAG.test(cmd)) report("exfiltration", "high", m.index, end, "Shell command that uploads data.");
    else if (hasTarget) report("shell-command", "medium", m.index, end, "Shell command fetching a URL.");
  });
  firstMatch(SHELL_OTHER, text, report, "shell-command", "medium");
}
