/**
 * The scan against the official reference servers' real tool lists: started over stdio from
 * node_modules (never npx: no network), so a release that changes their tools is caught here.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, describe, expect, it } from "vitest";
import { highestSeverity } from "./findings";
import { scanTools, type ScannableTool } from "./scan";

const packages = path.join(process.cwd(), "node_modules", "@modelcontextprotocol");
const workDir = mkdtempSync(path.join(tmpdir(), "portcullis-scan-"));

const servers: { name: string; args: string[]; env?: Record<string, string> }[] = [
  { name: "server-everything", args: [path.join(packages, "server-everything", "dist", "index.js"), "stdio"] },
  { name: "server-filesystem", args: [path.join(packages, "server-filesystem", "dist", "index.js"), workDir] },
  { name: "server-memory", args: [path.join(packages, "server-memory", "dist", "index.js")], env: { MEMORY_FILE_PATH: path.join(workDir, "memory.jsonl") } },
  // Listing tools makes no GitHub call; the server only refuses to start without a token.
  { name: "server-github", args: [path.join(packages, "server-github", "dist", "index.js")], env: { GITHUB_PERSONAL_ACCESS_TOKEN: "dummy-token-for-listing-tools" } },
];

const clients: Client[] = [];

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  rmSync(workDir, { recursive: true, force: true });
});

async function listTools(server: (typeof servers)[number]): Promise<ScannableTool[]> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: server.args,
    env: { ...getDefaultEnvironment(), ...server.env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: "portcullis-scan-test", version: "0.0.0" });
  clients.push(client);
  try {
    await client.connect(transport);
  } catch (error) {
    throw new Error(`${server.name} did not start: ${String(error)}\n${stderr}`, { cause: error });
  }
  const tools: ScannableTool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : {});
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

describe("official reference servers", () => {
  it.each(servers.map((s) => [s.name, s] as const))(
    "%s: real tools raise no high finding",
    async (name, server) => {
      const tools = await listTools(server);
      expect(tools.length).toBeGreaterThan(3);

      const results = scanTools(tools);
      expect(Object.keys(results).sort()).toEqual(tools.map((t) => t.name).sort());
      const highs = Object.entries(results).flatMap(([tool, findings]) => findings.filter((f) => f.severity === "high").map((f) => ({ tool, ...f })));
      expect(highs).toEqual([]);

      const review = Object.entries(results)
        .filter(([, findings]) => highestSeverity(findings) !== null)
        .flatMap(([tool, findings]) => findings.map((f) => `  ${f.severity.padEnd(6)} ${tool} ${f.rule} @ ${f.field}: ${f.match}`));
      console.log(`${name}: ${tools.length} tools, ${review.length} medium/low finding(s)${review.length ? `\n${review.join("\n")}` : ""}`);
    },
    60_000,
  );
});
