/**
 * The policy evaluator's contract as a table: each case is rules + who + what → effect and deciding
 * rule. One fixture, so every runtime that evaluates policies (the console's Node tests now, the
 * Worker's tests in workerd next) checks the same answers.
 */
import type { PolicyPrincipal, PolicyRequest, PolicyRuleSpec } from "@core/policy/evaluate";

const ALICE = "00000000-0000-4000-8000-0000000000a1";
const BOB = "00000000-0000-4000-8000-0000000000b0";
const TEAM_A = "00000000-0000-4000-8000-00000000000a";
const TOKEN_1 = "00000000-0000-4000-8000-00000000071c";

export const alice: PolicyPrincipal = { userId: ALICE, teamIds: [TEAM_A], groups: ["eng", "oncall"], email: "alice@Acme.com", emailVerified: true, tokenId: null };
export const bob: PolicyPrincipal = { userId: BOB, teamIds: [], groups: [], email: "bob@contractor.io", emailVerified: true, tokenId: TOKEN_1 };
/** Alice's account as it would be if her identity provider had not verified her address. */
const unverifiedAlice: PolicyPrincipal = { ...alice, emailVerified: false };

const rule = (id: string, effect: "allow" | "deny", subject: PolicyRuleSpec["subject"], serverSlug: string, tool: string, priority = 100, conditions?: PolicyRuleSpec["conditions"]): PolicyRuleSpec => ({
  id: `00000000-0000-4000-8000-${id.padStart(12, "0")}`,
  effect,
  subject,
  resource: { serverSlug, tool },
  priority,
  ...(conditions ? { conditions } : {}),
});

export interface PolicyCase {
  name: string;
  rules: PolicyRuleSpec[];
  who: PolicyPrincipal;
  request: Omit<PolicyRequest, "at"> & { at?: string };
  effect: "allow" | "deny";
  /** The deciding rule's id suffix (as given to `rule`), or null for the default deny. */
  rule: string | null;
}

// Monday 2026-11-23 09:30 UTC, Saturday 2026-11-28 23:30 UTC, Sunday 2026-11-29 01:00 UTC.
const MON_0930 = "2026-11-23T09:30:00Z";
const SAT_2330 = "2026-11-28T23:30:00Z";
const SUN_0100 = "2026-11-29T01:00:00Z";
const office = { timeWindow: { days: [1, 2, 3, 4, 5], start: "08:00", end: "18:00" } };
const night = { timeWindow: { days: [6], start: "22:00", end: "02:00" } };

export const POLICY_CASES: PolicyCase[] = [
  { name: "nothing matches: default deny", rules: [], who: alice, request: { serverSlug: "github", tool: "create_issue" }, effect: "deny", rule: null },
  { name: "team rule allows its member", rules: [rule("1", "allow", { type: "team", teamId: TEAM_A }, "github", "*")], who: alice, request: { serverSlug: "github", tool: "create_issue" }, effect: "allow", rule: "1" },
  { name: "team rule does not allow others", rules: [rule("1", "allow", { type: "team", teamId: TEAM_A }, "github", "*")], who: bob, request: { serverSlug: "github", tool: "create_issue" }, effect: "deny", rule: null },
  { name: "deny wins over allow at the same priority", rules: [rule("1", "allow", { type: "everyone" }, "*", "*"), rule("2", "deny", { type: "everyone" }, "github", "delete_*")], who: alice, request: { serverSlug: "github", tool: "delete_repo" }, effect: "deny", rule: "2" },
  { name: "higher priority allow beats lower priority deny", rules: [rule("1", "deny", { type: "everyone" }, "*", "*", 10), rule("2", "allow", { type: "user", userId: ALICE }, "github", "*", 20)], who: alice, request: { serverSlug: "github", tool: "x" }, effect: "allow", rule: "2" },
  { name: "glob with ? matches one character", rules: [rule("1", "allow", { type: "everyone" }, "fs", "read_?ile")], who: bob, request: { serverSlug: "fs", tool: "read_file" }, effect: "allow", rule: "1" },
  { name: "glob does not match a longer name", rules: [rule("1", "allow", { type: "everyone" }, "fs", "read_?ile")], who: bob, request: { serverSlug: "fs", tool: "read_files" }, effect: "deny", rule: null },
  { name: "IdP group subject", rules: [rule("1", "allow", { type: "group", group: "oncall" }, "pagerduty", "*")], who: alice, request: { serverSlug: "pagerduty", tool: "ack" }, effect: "allow", rule: "1" },
  { name: "e-mail domain subject, case-insensitive", rules: [rule("1", "allow", { type: "emailDomain", domain: "acme.com" }, "*", "*")], who: alice, request: { serverSlug: "jira", tool: "search" }, effect: "allow", rule: "1" },
  { name: "an unverified address matches no e-mail domain subject", rules: [rule("1", "allow", { type: "emailDomain", domain: "acme.com" }, "*", "*")], who: unverifiedAlice, request: { serverSlug: "jira", tool: "search" }, effect: "deny", rule: null },
  { name: "an unverified address matches no user subject", rules: [rule("1", "allow", { type: "user", userId: ALICE }, "*", "*")], who: unverifiedAlice, request: { serverSlug: "jira", tool: "search" }, effect: "deny", rule: null },
  { name: "an unverified address still matches team, group and everyone", rules: [rule("1", "allow", { type: "group", group: "oncall" }, "pagerduty", "*")], who: unverifiedAlice, request: { serverSlug: "pagerduty", tool: "ack" }, effect: "allow", rule: "1" },
  { name: "e-mail domain excludes contractors", rules: [rule("1", "allow", { type: "emailDomain", domain: "acme.com" }, "*", "*")], who: bob, request: { serverSlug: "jira", tool: "search" }, effect: "deny", rule: null },
  { name: "API token subject", rules: [rule("1", "deny", { type: "token", tokenId: TOKEN_1 }, "*", "*", 500), rule("2", "allow", { type: "everyone" }, "*", "*")], who: bob, request: { serverSlug: "jira", tool: "search" }, effect: "deny", rule: "1" },
  { name: "server-level request needs a whole-server rule", rules: [rule("1", "allow", { type: "everyone" }, "github", "read_*")], who: alice, request: { serverSlug: "github", tool: null }, effect: "deny", rule: null },
  { name: "whole-server rule covers prompts and resources", rules: [rule("1", "allow", { type: "everyone" }, "github", "*")], who: alice, request: { serverSlug: "github", tool: null }, effect: "allow", rule: "1" },
  { name: "CIDR condition met", rules: [rule("1", "allow", { type: "everyone" }, "*", "*", 100, { clientCidrs: ["10.0.0.0/8"] })], who: alice, request: { serverSlug: "db", tool: "query", clientIp: "10.1.2.3" }, effect: "allow", rule: "1" },
  { name: "CIDR condition not met", rules: [rule("1", "allow", { type: "everyone" }, "*", "*", 100, { clientCidrs: ["10.0.0.0/8"] })], who: alice, request: { serverSlug: "db", tool: "query", clientIp: "203.0.113.9" }, effect: "deny", rule: null },
  { name: "unknown client IP: an allow with a CIDR does not match (fail closed)", rules: [rule("1", "allow", { type: "everyone" }, "*", "*", 100, { clientCidrs: ["10.0.0.0/8"] })], who: alice, request: { serverSlug: "db", tool: "query" }, effect: "deny", rule: null },
  { name: "unknown client IP: a deny with a CIDR applies (fail closed)", rules: [rule("1", "allow", { type: "everyone" }, "*", "*"), rule("2", "deny", { type: "everyone" }, "*", "*", 100, { clientCidrs: ["203.0.113.0/24"] })], who: alice, request: { serverSlug: "db", tool: "query" }, effect: "deny", rule: "2" },
  { name: "IPv6 CIDR", rules: [rule("1", "allow", { type: "everyone" }, "*", "*", 100, { clientCidrs: ["2001:db8::/32"] })], who: alice, request: { serverSlug: "db", tool: "q", clientIp: "2001:db8::7" }, effect: "allow", rule: "1" },
  { name: "office hours: inside", rules: [rule("1", "allow", { type: "everyone" }, "*", "*", 100, office)], who: alice, request: { serverSlug: "crm", tool: "export", at: MON_0930 }, effect: "allow", rule: "1" },
  { name: "office hours: weekend is outside", rules: [rule("1", "allow", { type: "everyone" }, "*", "*", 100, office)], who: alice, request: { serverSlug: "crm", tool: "export", at: SAT_2330 }, effect: "deny", rule: null },
  { name: "window past midnight: Saturday 23:30", rules: [rule("1", "allow", { type: "everyone" }, "*", "*", 100, night)], who: alice, request: { serverSlug: "batch", tool: "run", at: SAT_2330 }, effect: "allow", rule: "1" },
  { name: "window past midnight belongs to the day it started: Sunday 01:00", rules: [rule("1", "allow", { type: "everyone" }, "*", "*", 100, night)], who: alice, request: { serverSlug: "batch", tool: "run", at: SUN_0100 }, effect: "allow", rule: "1" },
  { name: "window past midnight: Monday 09:30 is outside", rules: [rule("1", "allow", { type: "everyone" }, "*", "*", 100, night)], who: alice, request: { serverSlug: "batch", tool: "run", at: MON_0930 }, effect: "deny", rule: null },
  { name: "equal priority and effect: the lower id decides", rules: [rule("2", "allow", { type: "everyone" }, "*", "*"), rule("1", "allow", { type: "user", userId: ALICE }, "*", "*")], who: alice, request: { serverSlug: "s", tool: "t" }, effect: "allow", rule: "1" },
];
