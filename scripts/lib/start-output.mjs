// What `npm start` shows of its children's output (scripts/start.mjs, scripts/lib/portal-runner.mjs):
// what a person can act on, not progress chatter. Next's build prints its progress and an 80-line
// route table; the OAuth library in the portal Worker prints a notice asking for a compatibility flag
// the portal must not have. Everything else passes through unchanged, so an unexpected warning or
// error is never hidden.
import { createInterface } from "node:readline";

/**
 * Printed by @cloudflare/workers-oauth-provider when the Worker loads without the
 * `global_fetch_strictly_public` compatibility flag. Nobody can act on it: that flag makes the
 * Worker's every fetch refuse private and loopback addresses, and the portal must reach upstream MCP
 * servers on a company network or on this machine, and the console. The portal does not offer
 * Client ID Metadata Documents, so nothing is lost without it.
 */
export const CIMD_NOTICE = "CIMD (Client ID Metadata Document) is disabled:";

// Next's progress lines (`next build` and `next()` in console-server.mjs), matched at the start of the line.
const NEXT_PROGRESS = [
  /^▲ Next\.js /,
  /^✓ Running next\.config\.\w+ took /,
  /^- Experiments \(use with caution\):/,
  /^Creating an optimized production build/,
  /^✓ Compiled successfully in /,
  /^Skipping validation of types/,
  /^Finished TypeScript( config validation)? in /,
  /^Running TypeScript/,
  /^✓ Finished writing to filesystem cache in /,
  /^Collecting page data/,
  /^✓? ?Generating static pages /,
  /^✓? ?Collecting build traces/,
  /^Finalizing page optimization/,
];

/** `line` without terminal colour codes and surrounding spaces. */
export function plain(line) {
  // eslint-disable-next-line no-control-regex -- an ANSI escape starts with the ESC control character
  return line.replace(/\u001b\[[0-9;]*m/g, "").trim();
}

/** Whether a line of the portal's output (workerd; wrangler dev, which prefixes "▲ [WARNING]") is shown. */
export function keepPortalLine(line) {
  return !plain(line).includes(CIMD_NOTICE);
}

/**
 * `line` with the address the portal listens on (`http://127.0.0.1:8787`) named as everything else
 * `npm start` prints names it (`http://localhost:8787`): wrangler dev says where it is ready.
 */
export function renamePortalOrigin(line, listenOrigin, publicOrigin) {
  return line.replaceAll(listenOrigin, publicOrigin);
}

/** Whether a line of the console server's output is shown (Next prints its config's load time there). */
export function keepConsoleLine(line) {
  return !NEXT_PROGRESS.some((re) => re.test(plain(line)));
}

/**
 * A filter for `next build`'s output, line by line: its progress lines, blank lines and the route
 * table (from "Route (app)" to the end: the table, the proxy line and the legend) are dropped;
 * anything else, such as a warning, is kept.
 */
export function nextBuildFilter() {
  let inRouteTable = false;
  let inExperiments = false;
  return (line) => {
    const text = plain(line);
    if (/^Route \((app|pages)\)/.test(text)) inRouteTable = true;
    if (!text) return (inExperiments = false);
    if (inRouteTable) return /^(⚠|⨯|warn|error)/i.test(text);
    // Under "- Experiments": one "✓ name" (or "⨯ name", turned off) per experiment in next.config.ts.
    if (inExperiments && /^[✓⨯] \w+$/.test(text)) return false;
    inExperiments = /^- Experiments /.test(text);
    return !NEXT_PROGRESS.some((re) => re.test(text));
  };
}

/** Writes the lines of `stream` that `keep` accepts to `out` (a writable stream), each through `rewrite`. */
export function pipeLines(stream, keep, out, rewrite = (line) => line) {
  createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
    if (keep(line)) out.write(`${rewrite(line)}\n`);
  });
}
