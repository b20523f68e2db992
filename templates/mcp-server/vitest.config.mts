import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Building the Worker with wrangler and starting workerd take a few seconds.
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
