import { sha256Hex } from "@core/crypto/sha256";
import { highestSeverity, type Finding } from "@core/poisoning/findings";
import { scanTools } from "@core/poisoning/scan";
import type { DiscoveryResult } from "./discover";
import { serverTokenCost, toolTokenCost } from "@core/tools/token-cost";
import { canonicalJson, toolHash } from "@core/tools/tool-hash";
import type { McpToolDefinition } from "@core/tools/tool-types";

export interface AnalyzedTool {
  name: string;
  definition: McpToolDefinition;
  hash: string;
  findings: Finding[];
  tokensJson: number;
  tokensTypescript: number;
}

export interface AnalyzedSnapshot {
  tools: AnalyzedTool[];
  toolsHash: string;
  tokensJson: number;
  tokensTypescript: number;
}

/** Hashes, scans and prices every tool a discovery returned. */
export async function analyzeDiscovery(result: DiscoveryResult): Promise<AnalyzedSnapshot> {
  const findings = scanTools(result.tools);
  const tools = await Promise.all(
    result.tools.map(async (definition) => {
      const cost = toolTokenCost(definition);
      return {
        name: definition.name,
        definition,
        hash: await toolHash(definition),
        findings: findings[definition.name] ?? [],
        tokensJson: cost.json,
        tokensTypescript: cost.typescript,
      };
    }),
  );
  const total = serverTokenCost(result.tools);
  const toolsHash = await sha256Hex(canonicalJson(tools.map((t) => [t.name, t.hash]).sort()));
  return { tools, toolsHash, tokensJson: total.json, tokensTypescript: total.typescript };
}

export function hasHighFinding(findings: readonly Finding[]): boolean {
  return highestSeverity([...findings]) === "high";
}
