/** Encoded payloads: base64 text that decodes to readable text, judged again with the high-severity rules. */

import { highestSeverity, type Report, type RuleId, type Severity, Sink } from "./findings";
import { scanSensitive, scanUrlsAndAddresses } from "./rules-data";
import { scanInstructions } from "./rules-instructions";
import { clip, each } from "./text";

const BASE64_RUN = /[A-Za-z0-9+/_-]{40,}={0,2}/g;

function decodeBase64(s: string): string | null {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (b64.length % 4 === 1) return null;
  try {
    return atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  } catch {
    return null;
  }
}

/** Readable text: nearly all printable ASCII and at least one space, so hashes and URLs do not count. */
function looksLikeText(s: string): boolean {
  if (!s.includes(" ")) return false;
  let printable = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09) printable++;
  }
  return printable / s.length >= 0.95;
}

export function scanEncoded(text: string, field: string, sink: Sink): void {
  each(BASE64_RUN, text, (m) => {
    if (!/[A-Z]/.test(m[0]) || !/[a-z]/.test(m[0])) return;
    const decoded = decodeBase64(m[0]);
    if (decoded === null || !looksLikeText(decoded)) return;
    // Judge the decoded text with the high-severity rules, one level deep.
    const inner = new Sink();
    const innerReport: Report = Object.assign((rule: RuleId, severity: Severity, s: number, e: number, message: string) => inner.add(rule, severity, field, decoded.slice(s, e), message), {
      saturation: (rule: RuleId) => inner.saturation(rule, field),
    });
    scanInstructions(decoded, innerReport);
    scanSensitive(decoded, innerReport);
    scanUrlsAndAddresses(decoded, innerReport);
    const poisoned = highestSeverity(inner.findings()) === "high";
    sink.add("encoded-payload", poisoned ? "high" : "medium", field, m[0], `Base64 text decodes to: "${clip(decoded, 160)}"${poisoned ? " — and that text is poisoned." : "."}`);
  });
}
