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

export function countTokens(text: string): number {
  return countO200k(text, PLAIN_TEXT);
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
