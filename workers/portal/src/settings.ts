import { parseEdgeSecrets, type EdgeSecret } from "@core/edge/secret";
/** A duration var (milliseconds, as text): its value when it is a positive number, else `fallback`. */
export function msSetting(text: string | undefined, fallback: number): number {
  const configured = Number(text);
  return Number.isFinite(configured) && configured > 0 ? configured : fallback;
}

let secretsCache: { source: string; secrets: Promise<EdgeSecret[]> } | undefined;

/** `PORTCULLIS_EDGE_SECRET`, parsed once per isolate (again only when the var changes). */
export function edgeSecrets(source: string | undefined): Promise<EdgeSecret[]> {
  const text = source ?? "";
  if (secretsCache?.source !== text) secretsCache = { source: text, secrets: parseEdgeSecrets(text) };
  return secretsCache.secrets;
}
