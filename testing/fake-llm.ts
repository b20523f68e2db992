/**
 * The fake LLM provider (testing/servers/fake-llm-provider.mjs), typed for Vitest tests: OpenAI's and
 * Anthropic's wire formats, deterministic replies and token counts, recorded requests.
 */
export { startFakeLlmProvider, type FakeLlmProvider, type FakeLlmProviderOptions, type FakeLlmRequest } from "@/testing/servers/fake-llm-provider.mjs";
