/**
 * The fake LLM provider (e2e/fixtures/fake-llm-provider.mjs), typed for Vitest tests: OpenAI's and
 * Anthropic's wire formats, deterministic replies and token counts, recorded requests.
 */
export { startFakeLlmProvider, type FakeLlmProvider, type FakeLlmProviderOptions, type FakeLlmRequest } from "@/e2e/fixtures/fake-llm-provider.mjs";
