/**
 * Subjects of rate limits and budgets as people write them: `everyone`, `user:<e-mail>`,
 * `team:<slug>`, `token:<uuid>`. The policy subject parser (lib/core/policy/subject.ts) reads the text;
 * IdP groups and e-mail domains, which policies accept, are refused here: the edge keeps counters
 * per user, team or token only. Pure (no database), so client components may import the schemas.
 */
import { z } from "zod";
import { formatSubjectText, parseSubjectText, type SubjectText } from "@core/policy/subject";

export type LimitSubjectKind = "everyone" | "user" | "team" | "token";

const KIND_TEXT: Record<LimitSubjectKind, string> = { everyone: "everyone", user: "user:<e-mail>", team: "team:<slug>", token: "token:<token id>" };

function listKinds(kinds: readonly LimitSubjectKind[]): string {
  const names = kinds.map((k) => KIND_TEXT[k]);
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}` : names[0]!;
}

/** Why `text` is not a subject of this kind of limit, or null when it is. */
export function limitSubjectProblem(text: string, kinds: readonly LimitSubjectKind[], what: string): string | null {
  const parsed = parseSubjectText(text);
  if (typeof parsed === "string") {
    return `"${text.trim()}": ${what} applies to ${listKinds(kinds)}`;
  }
  if (parsed.kind === "group" || parsed.kind === "domain") {
    return `"${text.trim()}": ${what} cannot apply to an IdP group or an e-mail domain (the edge counts per user, team or API token); write ${listKinds(kinds)}`;
  }
  if (!(kinds as readonly string[]).includes(parsed.kind)) return `"${text.trim()}": ${what} applies to ${listKinds(kinds)}`;
  return null;
}

/** A zod string for a subject of one of `kinds`, normalised (`User:Alice@X.com` → `user:alice@x.com`). */
export function limitSubjectText(kinds: readonly LimitSubjectKind[], what: string) {
  return z
    .string()
    .min(1, "is required")
    .max(400)
    .superRefine((text, ctx) => {
      const problem = limitSubjectProblem(text, kinds, what);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .transform((text) => formatSubjectText(parseSubjectText(text) as SubjectText))
    .describe(listKinds(kinds));
}

