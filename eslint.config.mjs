import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";

/**
 * Import boundaries from STYLE.md, enforced so the layout stays true:
 * - pure lib modules (policy, bundle, naming, codemode, shadow, tokens' secret, auth roles…) do no I/O:
 *   no node:*, no next/*, no db/;
 * - components import only pure lib modules (never db/, never server-only lib);
 * - db/ imports nothing of the app;
 * - workers import pure lib and only types from db/schema;
 * - nothing outside app/ imports from app/.
 */
const NODE_BUILTINS = ["node:*", "fs", "path", "crypto", "child_process", "http", "https", "net", "os"];
const PURE_LIB = [
  "lib/errors.ts",
  "lib/ids.ts",
  "lib/auth/roles.ts",
  "lib/auth/actor.ts",
  "lib/auth/loopback.ts",
  "lib/auth/redirect.ts",
  "lib/auth/action-result.ts",
  "lib/tokens/secret.ts",
  "lib/api/endpoint.ts",
  "lib/api/schema-helpers.ts",
  "lib/audit/activity-types.ts",
  "lib/registry/tool-types.ts",
  "lib/registry/tool-hash.ts",
  "lib/registry/token-cost.ts",
  "lib/registry/tool-diff.ts",
  "lib/scan/**",
  "lib/crypto/**",
  "lib/net/**",
  "lib/policy/**",
  "lib/text/**",
  "lib/bundle/**",
  "lib/naming/**",
  "lib/codemode/**",
  "lib/shadow/**",
  "lib/limits/**",
  "lib/llm/**",
  "lib/scan-config/**",
];
const fromApp = { group: ["@/app/*", "**/app/*"], message: "Routes are leaves: move shared code to lib/ or components/." };
const fromDb = { group: ["@/db/*", "**/db/*"], message: "Pure modules and components do no I/O: no database access." };
const fromNext = { group: ["next/*", "next"], message: "Pure modules must run in any runtime (console and Worker): no next/*." };
const fromServerLib = {
  group: [
    "@/lib/auth/config",
    "@/lib/auth/session",
    "@/lib/auth/page",
    "@/lib/auth/action",
    "@/lib/server/*",
    "@/lib/api/route",
    "@/lib/*/create-*",
    "@/lib/*/update-*",
    "@/lib/*/delete-*",
    "@/lib/*/revoke-*",
    "@/lib/*/queries",
  ],
  message: "Client components take data and actions as props; they import only pure lib modules.",
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
      "no-restricted-imports": ["error", { patterns: [fromApp] }],
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
  { files: PURE_LIB, rules: { "no-restricted-imports": ["error", { paths: NODE_BUILTINS, patterns: [fromApp, fromDb, fromNext] }] } },
  { files: ["components/**"], rules: { "no-restricted-imports": ["error", { paths: NODE_BUILTINS, patterns: [fromApp, fromDb, fromServerLib] }] } },
  {
    files: ["db/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [fromApp, { group: ["@/lib/*", "@/components/*", "**/lib/*", "**/components/*"], message: "db/ imports nothing of the app." }] }] },
  },
  // Tests may import routes and actions to call them (the authorization matrix does).
  { files: ["**/*.test.ts"], rules: { "no-restricted-imports": "off" } },
  {
    files: ["workers/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { paths: NODE_BUILTINS, patterns: [fromApp, fromNext, { group: ["@/db/*", "**/db/*"], allowTypeImports: true, message: "Workers never read Postgres: import only types from db/schema." }] },
      ],
    },
  },
);
