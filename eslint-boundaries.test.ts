import { describe, it, expect, beforeAll } from "vitest";
import { ESLint } from "eslint";

/**
 * The layout's import boundaries are lint rules (eslint.config.mjs); this proves each rule refuses
 * what it should and lets through what it should, so a loosened pattern cannot pass unnoticed.
 */
let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: process.cwd() });
});

async function refusals(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport const used = [x];\n`, { filePath });
  return result!.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

const cases: { file: string; import: string; refused: boolean }[] = [
  // The pure core: lib/core and its named pure packages only.
  { file: "lib/core/policy/probe.ts", import: `import { x } from "@core/net/cidr";`, refused: false },
  { file: "lib/core/policy/probe.ts", import: `import { x } from "./evaluate";`, refused: false },
  { file: "lib/core/policy/probe.ts", import: `import { x } from "zod";`, refused: false },
  { file: "lib/core/policy/probe.ts", import: `import { x } from "gpt-tokenizer/encoding/o200k_base";`, refused: false },
  { file: "lib/core/policy/probe.ts", import: `import { x } from "@/lib/errors";`, refused: true },
  { file: "lib/core/policy/probe.ts", import: `import { x } from "../../policies/store";`, refused: true },
  { file: "lib/core/policy/probe.ts", import: `import { x } from "@/db/client";`, refused: true },
  { file: "lib/core/policy/probe.ts", import: `import { x } from "node:crypto";`, refused: true },
  { file: "lib/core/policy/probe.ts", import: `import { x } from "next/headers";`, refused: true },
  { file: "lib/core/policy/probe.ts", import: `import { x } from "drizzle-orm";`, refused: true },
  { file: "lib/core/policy/probe.ts", import: `import { x } from "@/testing/seeded-random.mjs";`, refused: true },
  // The Worker: lib/core, its own files, types from db/schema.
  { file: "workers/portal/src/probe.ts", import: `import { x } from "@core/bundle/schema";`, refused: false },
  { file: "workers/portal/src/probe.ts", import: `import { x } from "./config";`, refused: false },
  { file: "workers/portal/src/probe.ts", import: `import type { x } from "@/db/schema";`, refused: false },
  { file: "workers/portal/src/probe.ts", import: `import { x } from "@/db/schema";`, refused: true },
  { file: "workers/portal/src/probe.ts", import: `import { x } from "@/lib/errors";`, refused: true },
  { file: "workers/portal/src/routes/probe.ts", import: `import { x } from "../../../../lib/servers/queries";`, refused: true },
  { file: "workers/portal/src/probe.ts", import: `import { x } from "@/lib/core/bundle/schema";`, refused: true },
  { file: "workers/portal/src/probe.ts", import: `import { x } from "@/testing/portal";`, refused: true },
  { file: "workers/portal/src/probe.ts", import: `import { x } from "node:fs";`, refused: true },
  // Client components: lib/core and client-safe contracts; anything else of lib/ as types only.
  { file: "components/probe/probe.tsx", import: `import { x } from "@core/text/count";`, refused: false },
  { file: "components/probe/probe.tsx", import: `import { x } from "@/lib/policies/schemas";`, refused: false },
  { file: "components/probe/probe.tsx", import: `import type { x } from "@/lib/policies/impact";`, refused: false },
  { file: "components/probe/probe.tsx", import: `import { x } from "@/lib/policies/impact";`, refused: true },
  { file: "components/probe/probe.tsx", import: `import { x } from "@/db/client";`, refused: true },
  { file: "components/probe/probe.tsx", import: `import { x } from "node:path";`, refused: true },
  { file: "lib/probe/schemas.ts", import: `import { x } from "crypto";`, refused: true },
  // Client-safe contracts stay pure.
  { file: "lib/probe/schemas.ts", import: `import { x } from "../rate-limits/schemas";`, refused: false },
  { file: "lib/probe/schemas.ts", import: `import { x } from "@core/limits/schema";`, refused: false },
  { file: "lib/probe/schemas.ts", import: `import { x } from "./queries";`, refused: true },
  { file: "lib/probe/schemas.ts", import: `import { x } from "drizzle-orm";`, refused: true },
  // Production code never imports test support; tests may.
  { file: "lib/probe/verb.ts", import: `import { x } from "@/testing/users";`, refused: true },
  { file: "app/probe/page.tsx", import: `import { x } from "@/testing/servers/mutable-mcp-server.mjs";`, refused: true },
  { file: "lib/probe/verb.test.ts", import: `import { x } from "@/testing/users";`, refused: false },
  // db/ imports nothing of the app; routes are leaves.
  { file: "db/probe.ts", import: `import { x } from "@/lib/errors";`, refused: true },
  { file: "lib/probe/verb.ts", import: `import { x } from "@/app/(console)/servers/actions";`, refused: true },
];

describe("import boundaries (eslint.config.mjs)", () => {
  it.each(cases)("$file: $import → refused $refused", async ({ file, import: line, refused }) => {
    const messages = await refusals(file, line);
    expect(messages.length > 0, messages.join("; ") || "no refusal").toBe(refused);
  });
});
