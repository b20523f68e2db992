import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@core": path.resolve(import.meta.dirname, "lib/core"), "@": path.resolve(import.meta.dirname) } },
  test: {
    environment: "node",
    include: ["**/*.test.ts"],
    // templates/: the projects `npx portcullis new-server` makes run their own tests (scripts/new-server.test.ts).
    exclude: ["node_modules/**", ".next/**", ".data/**", "e2e/**", "scratch/**", "**/.wrangler/**", "templates/**"],
    // PGlite takes 4–5 s to start on 2 cores; a real PostgreSQL database is created per file.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // next-auth imports "next/server" without an extension; let Vite resolve it.
    server: { deps: { inline: ["next-auth"] } },
    // The default reporter, then a one-line-per-failure recap at the very end (for CI logs' tails).
    reporters: ["default", "./scripts/vitest-failure-summary.ts"],
    // Saving an LLM provider tries it; most suites save providers at public default URLs (api.openai.com)
    // and must not call the internet. provider-check.test.ts turns the check back on against local fakes.
    env: { PORTCULLIS_LLM_PROVIDER_CHECK: "off" },
    pool: "forks",
    maxWorkers: 2,
  },
});
