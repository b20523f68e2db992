/**
 * The real `tools/list` answers of four reference MCP servers from npm (everything, filesystem,
 * memory, github), each started over stdio with the official SDK client, as the Code Mode
 * benchmark and the declaration tests use them. Nothing is trimmed or edited.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const require = createRequire(import.meta.url);

/** The servers, their package and the arguments each needs (filesystem: a directory it may use). */
export const REAL_SERVERS = [
  { slug: "everything", pkg: "@modelcontextprotocol/server-everything", args: ["stdio"] },
  { slug: "filesystem", pkg: "@modelcontextprotocol/server-filesystem", args: ["{dir}"] },
  { slug: "memory", pkg: "@modelcontextprotocol/server-memory", args: [] },
  { slug: "github", pkg: "@modelcontextprotocol/server-github", args: [] },
];

/** `[{ slug, pkg, version, tools }]`, one per server, tools in the order the server lists them. */
export async function listRealTools() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "real-tools-"));
  try {
    return await Promise.all(
      REAL_SERVERS.map(async ({ slug, pkg, args }) => {
        const manifest = require(`${pkg}/package.json`);
        const bin = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), typeof manifest.bin === "string" ? manifest.bin : Object.values(manifest.bin)[0]);
        const transport = new StdioClientTransport({
          command: process.execPath,
          args: [bin, ...args.map((a) => (a === "{dir}" ? dir : a))],
          // The GitHub server lists its tools without a token; it would need one only to call them.
          env: { PATH: process.env.PATH ?? "", HOME: dir, MEMORY_FILE_PATH: path.join(dir, "memory.jsonl") },
          stderr: "ignore",
        });
        const client = new Client({ name: "portcullis-real-tools", version: "1" });
        await client.connect(transport);
        try {
          const tools = [];
          let cursor;
          do {
            const page = await client.listTools(cursor ? { cursor } : {});
            tools.push(...page.tools);
            cursor = page.nextCursor;
          } while (cursor);
          return { slug, pkg, version: manifest.version, tools };
        } finally {
          await client.close();
        }
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
