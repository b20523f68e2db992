/**
 * Policy subjects as text, the way people write them in the editor, the API and policy files:
 * `everyone`, `user:alice@acme.com`, `team:platform`, `group:eng-oncall`, `domain:acme.com`,
 * `token:<uuid>`. Pure: resolving an e-mail or team slug to an id is the console's job.
 */
import type { PolicySubjectSpec } from "./evaluate";

export const SUBJECT_KINDS = ["everyone", "user", "team", "group", "domain", "token"] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

/** A subject as written: the kind and what follows the colon (empty for everyone). */
export interface SubjectText {
  kind: SubjectKind;
  ref: string;
}

const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses `kind:ref`; returns an error message instead of throwing (for zod refinements and forms). */
export function parseSubjectText(text: string): SubjectText | string {
  const trimmed = text.trim();
  if (trimmed === "everyone" || trimmed === "*") return { kind: "everyone", ref: "" };
  const colon = trimmed.indexOf(":");
  const kind = colon > 0 ? trimmed.slice(0, colon).toLowerCase() : "";
  const ref = colon > 0 ? trimmed.slice(colon + 1).trim() : "";
  switch (kind) {
    case "user":
      return ref.includes("@") && ref.length <= 320 ? { kind, ref: ref.toLowerCase() } : `"${text}": a user is written user:<e-mail address>`;
    case "team":
      return /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(ref) ? { kind, ref } : `"${text}": a team is written team:<team slug>`;
    case "group":
      return ref.length >= 1 && ref.length <= 200 ? { kind, ref } : `"${text}": a group is written group:<IdP group name>`;
    case "domain": {
      const domain = ref.replace(/^@/, "").toLowerCase();
      return DOMAIN.test(domain) ? { kind, ref: domain } : `"${text}": an e-mail domain is written domain:<example.com>`;
    }
    case "token":
      return UUID.test(ref) ? { kind, ref: ref.toLowerCase() } : `"${text}": a token is written token:<token id (UUID)>`;
    default:
      return `"${text}": write everyone, user:<e-mail>, team:<slug>, group:<IdP group>, domain:<example.com> or token:<id>`;
  }
}

export function formatSubjectText(subject: SubjectText): string {
  return subject.kind === "everyone" ? "everyone" : `${subject.kind}:${subject.ref}`;
}

/** A short label for a compiled subject (ids cut to 8 characters), for reasons and diffs. */
export function subjectLabel(s: PolicySubjectSpec): string {
  switch (s.type) {
    case "everyone":
      return "everyone";
    case "team":
      return `team ${s.teamId.slice(0, 8)}`;
    case "user":
      return `user ${s.userId.slice(0, 8)}`;
    case "group":
      return `group ${s.group}`;
    case "emailDomain":
      return `@${s.domain}`;
    case "token":
      return `token ${s.tokenId.slice(0, 8)}`;
  }
}

export const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type DayName = (typeof DAY_NAMES)[number];
