import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";

/**
 * Import boundaries from STYLE.md, enforced so the layout stays true:
 * - lib/core/** is the pure core shared by the console and the Worker: it imports only lib/core
 *   (`@core/…`, or `./` inside its own module) and the pure packages named in CORE_PACKAGES;
 * - the Worker imports lib/core and nothing else of lib/ (only types from db/schema);
 * - components import lib/core, and of the console's lib/ only its client-safe contracts
 *   (CLIENT_SAFE: zod schemas, form and format helpers), everything else as types only;
 * - db/ imports nothing of the app; nothing outside app/ imports from app/;
 * - production code never imports test support (testing/, e2e/); the demo's seed (scripts/demo/)
 *   may, for the synthetic traffic log it uploads.
 */
const nodeBuiltins = { regex: String.raw`^(node:|(fs|path|crypto|child_process|http|https|net|os|dns|stream|zlib)(/|$))`, message: "Runs in the browser or in workerd: no Node built-ins." };
/** The packages the pure core may use: none does I/O. */
const CORE_PACKAGES = ["zod", "yaml", "canonicalize", "gpt-tokenizer/"];
/** Console modules that client components may import: pure by the CLIENT_SAFE rule below. */
const CLIENT_SAFE = ["lib/errors.ts", "lib/auth/action-result.ts", "lib/audit/activity-types.ts", "lib/*/schemas.ts", "lib/*/form.ts", "lib/*/format.ts"];
/** Test code: specs, test support, benchmarks and the Worker's test entry. */
const TEST_CODE = ["**/*.test.ts", "e2e/**", "testing/**", "bench/**", "workers/*/src/testing/**", "playwright.config.ts", "vitest.config.mts"];

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const viaCoreAlias = { group: ["@/lib/core/*", "**/lib/core/*"], message: "Import the pure core as @core/…" };
const fromApp = { group: ["@/app/*", "**/app/*"], message: "Routes are leaves: move shared code to lib/ or components/." };
const fromTestSupport = { group: ["@/testing/*", "**/testing/*", "@/e2e/*", "**/e2e/*"], message: "Production code never imports test support (testing/, e2e/)." };
const fromTestSupportInWorker = { ...fromTestSupport, group: ["@/testing/*", "../**/testing/*", "@/e2e/*", "**/e2e/*"] };
const onlyCore = {
  regex: String.raw`^(?!(\./|@core/|${CORE_PACKAGES.map((p) => (p.endsWith("/") ? esc(p) : `${esc(p)}$`)).join("|")}))`,
  message: `The pure core imports only lib/core (@core/… or ./ in its own module) and ${CORE_PACKAGES.join(", ")}: no I/O, no console code.`,
};
const clientSafeOnly = {
  regex: String.raw`^(@/(?!lib/)|@/lib/(?!(errors|auth/action-result|audit/activity-types|[a-z-]+/(schemas|form|format))$)|\.\./(?![a-z-]+/(schemas|form|format)$)|\./(?!(schemas|form|format)$))`,
  message: "Client-safe contracts import only zod, lib/core and other client-safe contracts (schemas, form, format).",
};

export default tseslint.config(
  { ignores: ["**/worker-configuration.d.ts", "**/.wrangler/**", ".next/**", "node_modules/**", ".data/**", "scratch/**", "db/migrations/**", "next-env.d.ts", "test-results/**", "playwright-report/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.{ts,tsx,mts}"],
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "no-restricted-imports": ["error", { patterns: [fromApp, fromTestSupport, viaCoreAlias] }],
    },
  },
  {
    files: ["**/*.{mjs,js}"],
    languageOptions: {
      globals: Object.fromEntries(
        ["process", "console", "Buffer", "URL", "URLSearchParams", "setTimeout", "clearTimeout", "fetch", "Response", "Request", "Headers", "structuredClone", "TextEncoder", "TextDecoder", "AbortController"].map((g) => [g, "readonly"]),
      ),
    },
  },
  { files: ["lib/core/**"], rules: { "no-restricted-imports": ["error", { patterns: [nodeBuiltins, onlyCore] }] } },
  { files: CLIENT_SAFE, rules: { "no-restricted-imports": ["error", { patterns: [nodeBuiltins, { regex: "^(next|drizzle-orm)(/|$)", message: "Client-safe contracts do no I/O." }, clientSafeOnly] }] } },
  {
    files: ["components/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            nodeBuiltins,
            fromApp,
            fromTestSupport,
            viaCoreAlias,
            { group: ["@/db/*", "**/db/*"], allowTypeImports: true, message: "Client components do no I/O: no database access." },
            {
              regex: String.raw`^@/lib/(?!(errors|auth/action-result|audit/activity-types|[a-z-]+/(schemas|form|format))$)`,
              allowTypeImports: true,
              message: `Client components take data and actions as props: of lib/ they import lib/core and the client-safe contracts (${CLIENT_SAFE.join(", ")}); anything else as types only.`,
            },
          ],
        },
      ],
    },
  },
  {
    files: ["db/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [fromApp, { group: ["@/lib/*", "@core/*", "@/components/*", "**/lib/*", "**/components/*", "@/testing/*"], message: "db/ imports nothing of the app." }] }] },
  },
  {
    files: ["workers/*/src/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            nodeBuiltins,
            fromTestSupportInWorker,
            viaCoreAlias,
            { group: ["@/db/*"], allowTypeImports: true, message: "Workers never read Postgres: import only types from db/schema." },
            { regex: String.raw`^(@/(?!db/)|next(/|$)|(\.\./)+(lib|db|app|components)/)`, message: "The Worker imports lib/core (@core/…) and nothing else of the console." },
          ],
        },
      ],
    },
  },
  // Tests may import routes, actions and test support (the authorization matrix calls actions).
  // Test code renders no React: a `use…` name there is a Vitest set-up helper (useTestDatabase), not a hook.
  { files: ["scripts/demo/**"], rules: { "no-restricted-imports": ["error", { patterns: [fromApp, viaCoreAlias] }] } },
  { files: TEST_CODE, rules: { "no-restricted-imports": "off", "react-hooks/rules-of-hooks": "off" } },
);
