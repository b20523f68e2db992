/**
 * Tokens an MCP result puts into the model's context (o200k), for the audit event. Counts what a
 * client hands to the model: text content, embedded resource text, prompt message text, and the
 * JSON of anything else (structured content without text, tool lists). Binary blobs count as 0:
 * clients pass images through vision inputs, not as text tokens. Large results are estimated
 * (see `countTokensBounded`): this runs on the portal's request path.
 */
import { countTokensBounded } from "@core/tools/token-cost";

function contentText(item: unknown): string {
  if (!item || typeof item !== "object") return "";
  const c = item as Record<string, unknown>;
  if (c.type === "text" && typeof c.text === "string") return c.text;
  if (c.type === "resource" && c.resource && typeof c.resource === "object") {
    const r = c.resource as Record<string, unknown>;
    return typeof r.text === "string" ? r.text : "";
  }
  if (c.type === "resource_link") return JSON.stringify({ uri: c.uri, name: c.name, description: c.description });
  return "";
}

export function resultTokens(method: string, result: unknown): number | null {
  if (!result || typeof result !== "object") return null;
  const r = result as Record<string, unknown>;
  let text: string;
  switch (method) {
    case "tools/call": {
      const content = Array.isArray(r.content) ? r.content : [];
      text = content.map(contentText).join("\n");
      if (!text && r.structuredContent !== undefined) text = JSON.stringify(r.structuredContent);
      break;
    }
    case "prompts/get":
      text = (Array.isArray(r.messages) ? r.messages : []).map((m) => contentText((m as { content?: unknown })?.content)).join("\n");
      break;
    case "resources/read":
      text = (Array.isArray(r.contents) ? r.contents : []).map((c) => (typeof (c as { text?: unknown }).text === "string" ? (c as { text: string }).text : "")).join("\n");
      break;
    case "tools/list":
      text = JSON.stringify({ tools: r.tools ?? [] });
      break;
    default:
      return null;
  }
  return countTokensBounded(text);
}
