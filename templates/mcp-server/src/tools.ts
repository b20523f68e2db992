/**
 * The server's tools. Write yours here: each gets its input validated against `inputSchema`, and
 * `callerOf(extra)` says who is calling, as the portal proved it — act for that person, no sign-in
 * of your own needed.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { ProofClaims } from "./portcullis-proof";

/** The person calling (user id, email, team slugs), from the verified portal proof. */
export function callerOf(extra: { authInfo?: { extra?: Record<string, unknown> } }): ProofClaims {
  const caller = extra.authInfo?.extra?.caller as ProofClaims | undefined;
  // src/index.ts verifies every request before a tool runs: no caller here is a wiring mistake.
  if (!caller) throw new Error("no verified caller on this request");
  return caller;
}

export function registerTools(server: McpServer): void {
  server.registerTool(
    "greet",
    {
      title: "Greet the caller",
      description: "Greets the person calling through the portal, by the identity the portal proved.",
      inputSchema: { greeting: z.string().min(1).max(100).default("Hello").describe("How to greet") },
      outputSchema: {
        message: z.string(),
        caller: z.object({ id: z.string(), email: z.string().nullable(), teams: z.array(z.string()), kind: z.enum(["user", "portal", "console"]) }),
      },
      annotations: { readOnlyHint: true },
    },
    async ({ greeting }, extra) => {
      const caller = callerOf(extra);
      const output = {
        message: `${greeting}, ${caller.email ?? caller.sub}!`,
        caller: { id: caller.sub, email: caller.email ?? null, teams: caller.teams ?? [], kind: caller.kind },
      };
      return { content: [{ type: "text", text: output.message }], structuredContent: output };
    },
  );
}
