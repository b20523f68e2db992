import { z } from "zod";
import { IsoDateTime, Uuid } from "@core/zod/helpers";
import { LIMITS_BOUNDS } from "@core/limits/schema";
import { MAX_RATE_LIMIT } from "@core/limits/sliding-window";
import { limitSubjectText } from "@core/limits/subject-text";

/**
 * Rate limits as people write them (the Budgets page, `/api/v1/rate-limits`): subjects are text,
 * the window is seconds or a short duration. The console resolves names to ids when it stores a
 * limit; the bundle carries `RateLimitSpec`s (lib/core/limits/schema.ts), whose doc comment is the
 * contract for what the edge does with them.
 */

export const MAX_WINDOW_SECONDS = 86_400;

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** "90", "30s", "1m", "1h", "1d" → seconds; null when the text is not a duration. */
export function parseWindow(text: string): number | null {
  const m = /^(\d{1,6})\s*([smhd])?$/i.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * UNIT_SECONDS[(m[2]?.toLowerCase() ?? "s") as keyof typeof UNIT_SECONDS];
}

/** Seconds as the shortest exact duration text: 60 → "1m", 5400 → "90m", 86400 → "1d". */
export function formatWindow(seconds: number): string {
  for (const unit of ["d", "h", "m"] as const) if (seconds % UNIT_SECONDS[unit] === 0) return `${seconds / UNIT_SECONDS[unit]}${unit}`;
  return `${seconds}s`;
}

export const WindowInput = z
  .union([z.number(), z.string()])
  .transform((value, ctx) => {
    const seconds = typeof value === "number" ? value : parseWindow(value);
    if (seconds === null || !Number.isInteger(seconds) || seconds < 1 || seconds > MAX_WINDOW_SECONDS) {
      ctx.addIssue({ code: "custom", message: `a whole number of seconds from 1 to ${MAX_WINDOW_SECONDS}, or a duration such as 30s, 1m, 1h or 1d (at most 1d)` });
      return z.NEVER;
    }
    return seconds;
  })
  .describe('Sliding window: seconds (1–86400), or a duration text: "30s", "1m", "15m", "1h", "1d" (units s, m, h, d; at most one day)');

const ServerSlug = z
  .string()
  .trim()
  .min(2)
  .max(40)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "a server slug: lowercase letters, digits and single hyphens");

const ToolGlob = z
  .string()
  .trim()
  .min(1)
  .max(LIMITS_BOUNDS.toolGlobLength)
  .regex(/^[^\s]+$/, "a tool name or glob without spaces (* any run of characters, ? one character)");

export const RateLimitSubjectText = limitSubjectText(["everyone", "user", "team", "token"], "a rate limit");

// Without defaults: an edit sends only what changes (zod applies defaults inside .partial() too).
const rateLimitFields = {
  name: z.string().trim().min(1, "is required").max(LIMITS_BOUNDS.nameLength),
  subject: RateLimitSubjectText,
  per: z.enum(["user", "team", "token"]).describe("Who shares one counter: each user, each team (members share), or each API token (OAuth callers count under their user)"),
  scope: z.enum(["mcp", "llm", "all"]).describe("mcp: MCP requests; llm: the LLM gateway; all: both"),
  server: ServerSlug.nullable().optional().describe("MCP scope only: count only calls to this server"),
  tool: ToolGlob.nullable().optional().describe("MCP scope only: count only calls of tools matching this glob (upstream tool name)"),
  limit: z.int().min(1).max(MAX_RATE_LIMIT).describe("Requests allowed per window"),
  window: WindowInput,
  enabled: z.boolean(),
};

function scopeNarrowing(v: { scope?: string; server?: string | null; tool?: string | null }, ctx: z.RefinementCtx) {
  if (v.scope === "mcp") return;
  for (const field of ["server", "tool"] as const) {
    if (v[field] != null) ctx.addIssue({ code: "custom", path: [field], message: `${field} narrows MCP calls only: use scope "mcp" (or clear ${field})` });
  }
}

/** One rate limit as written (create, and the whole of it after an edit). */
export const RateLimitInput = z
  .object({ ...rateLimitFields, enabled: rateLimitFields.enabled.default(true) })
  .strict()
  .superRefine(scopeNarrowing);
export type RateLimitInput = z.infer<typeof RateLimitInput>;
export type RateLimitInputRaw = z.input<typeof RateLimitInput>;

export const UpdateRateLimitInput = z
  .object(rateLimitFields)
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, "send at least one field to change");
export type UpdateRateLimitInput = z.infer<typeof UpdateRateLimitInput>;

export const RateLimitOutput = z.object({
  id: Uuid,
  name: z.string(),
  subject: z.string(),
  per: z.enum(["user", "team", "token"]),
  scope: z.enum(["mcp", "llm", "all"]),
  server: z.string().nullable(),
  tool: z.string().nullable(),
  limit: z.number().int(),
  /** Seconds. */
  window: z.number().int(),
  enabled: z.boolean(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
});
export type RateLimitOutput = z.infer<typeof RateLimitOutput>;
