/**
 * What a server's tools cost in a model's context window, counted with the o200k_base encoding
 * (GPT-4o and later). Other vendors' tokenizers differ by some percent; the numbers are for
 * comparing servers and the two renderings, not for billing.
 */
import { countTokens as countO200k } from "gpt-tokenizer/encoding/o200k_base";
import { renderToolDeclaration, renderToolsModule } from "@core/codemode/render";
import { type McpToolDefinition } from "./tool-types";

export interface TokenCost {
  /** Tokens of the JSON a client receives from tools/list. */
  json: number;
  /** Tokens of the Code Mode TypeScript declarations for the same tools. */
  typescript: number;
}

// Text such as "<|endoftext|>" inside a description is counted as plain text: by default the
// tokenizer throws on it, and a server must not be able to break the count with its own text.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * The BPE step is quadratic in the length of one pre-tokenized piece (a run of letters,
 * punctuation or white space): 10,000 repeated letters take ~100 ms, 80,000 several seconds. Runs
 * longer than this are counted in slices of this size, which keeps the cost linear and changes the
 * count by at most a token a slice.
 */
const RUN_SLICE = 200;
const LONG_RUN = new RegExp(`[\\p{L}\\p{M}]{${RUN_SLICE},}|[^\\s\\p{L}\\p{N}]{${RUN_SLICE},}|\\s{${RUN_SLICE},}`, "gu");
const utf8 = new TextEncoder();

/** o200k tokens of a text: exact for ordinary text, linear in time for any text (see above). */
export function countTokens(text: string): number {
  let total = 0;
  let from = 0;
  for (const run of text.matchAll(LONG_RUN)) {
    total += countO200k(text.slice(from, run.index), PLAIN_TEXT);
    for (let i = 0; i < run[0].length; i += RUN_SLICE) total += countO200k(run[0].slice(i, i + RUN_SLICE), PLAIN_TEXT);
    from = run.index + run[0].length;
  }
  return total + countO200k(from === 0 ? text : text.slice(from), PLAIN_TEXT);
}

/** Tokens estimated at 4 bytes of UTF-8 each (the usual ratio for English and code), without tokenizing. */
export function estimateTokens(text: string): number {
  return Math.ceil(utf8.encode(text).byteLength / 4);
}

/**
 * Above this many characters a text met on the portal's request path is estimated, not counted:
 * ordinary text tokenizes at well under 1 MB/s, and every millisecond of CPU there is every
 * caller's (~20 ms at this size on the machines this was measured on).
 */
export const EXACT_COUNT_LIMIT = 16_384;

/** For the request path: exact up to {@link EXACT_COUNT_LIMIT} characters, estimated above. */
export function countTokensBounded(text: string): number {
  return text.length > EXACT_COUNT_LIMIT ? estimateTokens(text) : countTokens(text);
}

/** One tool: the tool object as it appears in tools/list (compact JSON), and its declaration. */
export function toolTokenCost(tool: McpToolDefinition): TokenCost {
  return { json: countTokens(JSON.stringify(tool)), typescript: countTokens(renderToolDeclaration(tool)) };
}

/**
 * A whole server. Not the sum of {@link toolTokenCost}: `json` counts the tools/list result
 * `{"tools":[…]}` exactly as one compact JSON text (the wrapper and commas included), and
 * `typescript` counts the module of all declarations, as a Code Mode client would load it.
 */
export function serverTokenCost(tools: readonly McpToolDefinition[]): TokenCost {
  return { json: countTokens(JSON.stringify({ tools })), typescript: countTokens(renderToolsModule(tools)) };
}
