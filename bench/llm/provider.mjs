#!/usr/bin/env node
/**
 * The fake LLM provider of the gateway benchmark (testing/servers/fake-llm-provider.mjs, unchanged),
 * in its own process so that it never shares an event loop with the load generator. Both paths
 * (direct and through the portal) call this one process, so they pay exactly the same provider cost.
 *
 *   node bench/llm/provider.mjs <expected API key>
 *
 * Prints one line of JSON, `{"url": "http://127.0.0.1:<port>"}`, once it listens. Stops on
 * SIGTERM/SIGINT or when its stdin closes (so it never outlives the benchmark).
 */
import { startFakeLlmProvider } from "../../testing/servers/fake-llm-provider.mjs";
import { announceReady } from "../lib/common.mjs";

const expectedKey = process.argv[2];
if (!expectedKey) {
  console.error("usage: node bench/llm/provider.mjs <expected API key>");
  process.exit(2);
}
const provider = await startFakeLlmProvider({ port: 0, expectedKey });
announceReady({ url: provider.url });
