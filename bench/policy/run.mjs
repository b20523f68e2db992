#!/usr/bin/env node
// Policy decision time with 10,000 rules (issue 5 target: p99 ≤ 20 µs), the indexed evaluator
// (lib/core/policy/evaluate.ts, compiled on the fly with esbuild) against a linear scan of the same
// rules in the same run, as the baseline. Prints a markdown table.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RULES = arg("rules", 10_000);
const DECISIONS = arg("decisions", 200_000);

const scratch = mkdtempSync(path.join(os.tmpdir(), "policy-bench-"));
const out = path.join(scratch, "evaluate.mjs");
execFileSync(path.join(root, "node_modules", ".bin", "esbuild"), [path.join(root, "lib", "core", "policy", "evaluate.ts"), "--bundle", "--format=esm", "--platform=neutral", `--outfile=${out}`, "--log-level=error"]);
const { compilePolicy, decide, globToRegExp } = await import(pathToFileURL(out).href);
rmSync(scratch, { recursive: true, force: true });

// A deterministic pseudo-random company: 200 servers, 100 teams, 50 IdP groups, 2,000 users.
let seed = 42;
const rand = (n) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};
const uuid = (kind, i) => `00000000-0000-4000-${kind}-${String(i).padStart(12, "0")}`;
const TOOLS = ["*", "read_*", "list_*", "get_?", "create_issue", "delete_*", "search", "*_admin"];
const rules = Array.from({ length: RULES }, (_, i) => {
  const k = rand(100);
  const subject =
    k < 35 ? { type: "team", teamId: uuid("8000", rand(100)) }
    : k < 60 ? { type: "user", userId: uuid("9000", rand(2000)) }
    : k < 80 ? { type: "group", group: `group-${rand(50)}` }
    : k < 90 ? { type: "emailDomain", domain: `d${rand(20)}.example` }
    : { type: "everyone" };
  const conditions = rand(10) === 0 ? { clientCidrs: [`10.${rand(256)}.0.0/16`] } : rand(10) === 0 ? { timeWindow: { days: [1, 2, 3, 4, 5], start: "08:00", end: "18:00" } } : undefined;
  const serverSlug = rand(20) === 0 ? "*" : `server-${rand(200)}`;
  // Denies name tools (`delete_*`, `*_admin`); a whole-server deny for everyone would be a kill switch, not a policy.
  const tool = TOOLS[rand(TOOLS.length)];
  return {
    id: uuid("a000", i),
    effect: tool !== "*" && rand(4) === 0 ? "deny" : "allow",
    subject,
    resource: { serverSlug, tool },
    priority: rand(10) * 10,
    ...(conditions ? { conditions } : {}),
  };
});
const principals = Array.from({ length: 1_000 }, (_, i) => ({
  userId: uuid("9000", i),
  teamIds: [uuid("8000", rand(100)), uuid("8000", rand(100)), uuid("8000", rand(100))],
  groups: [`group-${rand(50)}`, `group-${rand(50)}`],
  email: `u${i}@d${rand(20)}.example`,
  emailVerified: true,
  tokenId: null,
}));
const TOOL_NAMES = ["create_issue", "read_file", "get_x", "search", "delete_repo", "list_things", "user_admin"];
const requests = Array.from({ length: 1_000 }, () => ({
  serverSlug: `server-${rand(200)}`,
  tool: TOOL_NAMES[rand(TOOL_NAMES.length)],
  at: new Date(Date.UTC(2026, 10, 23 + rand(7), rand(24), rand(60))),
  clientIp: `10.${rand(256)}.${rand(256)}.${rand(256)}`,
}));
// Half the traffic goes where the caller has rules (a team's or group's server), as real traffic does.
const teamServers = new Map();
for (const r of rules) {
  const key = r.subject.type === "team" ? r.subject.teamId : r.subject.type === "group" ? r.subject.group : null;
  if (key && r.resource.serverSlug !== "*") teamServers.set(key, [...(teamServers.get(key) ?? []), r.resource.serverSlug]);
}
const requestFor = (who, i) => {
  if (i % 2 === 0) return requests[(i * 7 + (i >> 10)) % requests.length];
  const mine = [...who.teamIds, ...who.groups].flatMap((k) => teamServers.get(k) ?? []);
  const base = requests[(i * 13) % requests.length];
  return mine.length ? { ...base, serverSlug: mine[i % mine.length] } : base;
};
const mixed = Array.from({ length: 4_096 }, (_, i) => ({ who: principals[i % principals.length], req: requestFor(principals[i % principals.length], i) }));

// Baseline: the same contract evaluated by scanning every rule in decision order.
function linear(sorted) {
  const compiled = sorted.map((rule) => ({ rule, tool: globToRegExp(rule.resource.tool) }));
  const one = compilePolicy([]);
  return (who, req) => {
    for (const { rule, tool } of compiled) {
      if (rule.resource.serverSlug !== "*" && rule.resource.serverSlug !== req.serverSlug) continue;
      if (tool && !tool.test(req.tool)) continue;
      // Subject and conditions through the real evaluator on a one-rule policy would be unfair; inline them.
      const s = rule.subject;
      const subj =
        s.type === "everyone" || (s.type === "user" && s.userId === who.userId) || (s.type === "team" && who.teamIds.includes(s.teamId)) || (s.type === "group" && who.groups.includes(s.group)) || (s.type === "emailDomain" && who.email.endsWith(`@${s.domain}`));
      if (!subj) continue;
      if (rule.conditions) {
        const d = decide(compilePolicy([rule]), who, req); // conditions, exactly as the evaluator reads them
        if (d.ruleId !== rule.id) continue;
      }
      return { effect: rule.effect, ruleId: rule.id };
    }
    void one;
    return { effect: "deny", ruleId: null };
  };
}

const t0 = performance.now();
const policy = compilePolicy(rules);
const compileMs = performance.now() - t0;
const sorted = [...rules].sort((a, b) => b.priority - a.priority || (a.effect === b.effect ? (a.id < b.id ? -1 : 1) : a.effect === "deny" ? -1 : 1));
const scan = linear(sorted);

// The two must agree before their speed means anything.
for (let i = 0; i < 2_000; i++) {
  const { who, req } = mixed[i % mixed.length];
  const a = decide(policy, who, req), b = scan(who, req);
  if (a.effect !== b.effect || a.ruleId !== b.ruleId) throw new Error(`disagreement on decision ${i}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
}

function measure(fn, n) {
  const times = new Float64Array(n);
  let allow = 0;
  let matched = 0;
  for (let i = 0; i < n; i++) {
    const { who, req } = mixed[i % mixed.length];
    const s = process.hrtime.bigint();
    const d = fn(who, req);
    times[i] = Number(process.hrtime.bigint() - s) / 1000;
    if (d.effect === "allow") allow++;
    if (d.ruleId !== null) matched++;
  }
  times.sort();
  const q = (p) => times[Math.min(n - 1, Math.floor(p * n))];
  return { p50: q(0.5), p99: q(0.99), max: times[n - 1], allowShare: allow / n, matchedShare: matched / n };
}

measure((w, r) => decide(policy, w, r), 20_000); // warm-up
const indexed = measure((w, r) => decide(policy, w, r), DECISIONS);
const baseline = measure(scan, Math.min(DECISIONS, 20_000));

// Worst case for a scan: 10,000 rules on the very server asked for, none for this caller → default deny.
const strangers = Array.from({ length: RULES }, (_, i) => ({ id: uuid("b000", i), effect: "allow", subject: { type: "user", userId: uuid("7000", i) }, resource: { serverSlug: "server-0", tool: TOOLS[i % TOOLS.length] }, priority: i % 100 }));
const strangerPolicy = compilePolicy(strangers);
const strangerScan = linear([...strangers].sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : 1)));
const nobody = { who: principals[0], req: { ...requests[0], serverSlug: "server-0" } };
const measureOne = (fn, n) => measure(() => fn(nobody.who, nobody.req), n);
const worstIndexed = measureOne((w, r) => decide(strangerPolicy, w, r), 50_000);
const worstScan = measureOne(strangerScan, 5_000);
const fmt = (x) => x.toFixed(2);
console.log(`Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), Node ${process.version}; ${RULES.toLocaleString("en")} rules; compile ${compileMs.toFixed(1)} ms; load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
console.log("");
console.log("| evaluator | decisions | p50 µs | p99 µs | max µs | allowed | decided by a rule |");
console.log("|---|---:|---:|---:|---:|---:|---:|");
console.log(`| indexed (lib/core/policy) | ${DECISIONS.toLocaleString("en")} | ${fmt(indexed.p50)} | ${fmt(indexed.p99)} | ${fmt(indexed.max)} | ${(indexed.allowShare * 100).toFixed(1)} % | ${(indexed.matchedShare * 100).toFixed(1)} % |`);
console.log(`| linear scan (baseline) | ${Math.min(DECISIONS, 20_000).toLocaleString("en")} | ${fmt(baseline.p50)} | ${fmt(baseline.p99)} | ${fmt(baseline.max)} | ${(baseline.allowShare * 100).toFixed(1)} % | ${(baseline.matchedShare * 100).toFixed(1)} % |`);
console.log(`| indexed, worst case for a scan: ${RULES.toLocaleString("en")} rules on the server asked for, none for the caller | 50,000 | ${fmt(worstIndexed.p50)} | ${fmt(worstIndexed.p99)} | ${fmt(worstIndexed.max)} | ${(worstIndexed.allowShare * 100).toFixed(1)} % | ${(worstIndexed.matchedShare * 100).toFixed(1)} % |`);
console.log(`| linear scan, same worst case | 5,000 | ${fmt(worstScan.p50)} | ${fmt(worstScan.p99)} | ${fmt(worstScan.max)} | ${(worstScan.allowShare * 100).toFixed(1)} % | ${(worstScan.matchedShare * 100).toFixed(1)} % |`);
console.log("");
console.log(`| target | value | met |`);
console.log(`|---|---:|:---:|`);
console.log(`| p99 decision time with ${RULES.toLocaleString("en")} rules ≤ 20 µs | ${fmt(indexed.p99)} µs | ${indexed.p99 <= 20 ? "✓" : "✗"} |`);
console.log(`| p99 in the worst case for a scan ≤ 20 µs | ${fmt(worstIndexed.p99)} µs | ${worstIndexed.p99 <= 20 ? "✓" : "✗"} |`);
console.log(`| speed-up over the linear scan at p99, mixed / worst case (info) | ${(baseline.p99 / indexed.p99).toFixed(1)}× / ${(worstScan.p99 / worstIndexed.p99).toFixed(0)}× | |`);
