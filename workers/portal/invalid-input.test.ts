/**
 * `malformedMessage` recognises the common request without the SDK's schema: it must agree with the
 * schema on every message, the hostile ones included (a shortcut that let through what the schema
 * refuses would hand a handler params it does not expect).
 */
import { JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { seededRandom } from "@/testing/seeded-random.mjs";
import { malformedMessage } from "./src/session/invalid-input";

const VALUES: unknown[] = [undefined, null, 0, 1, -1, 1.5, 2 ** 53, "x", "", true, [], [1], {}, { a: 1 }, { progressToken: 1 }, { progressToken: "t" }, { progressToken: 1.5 }, { progressToken: {} }, { "io.modelcontextprotocol/related-task": { taskId: "t" } }, { "io.modelcontextprotocol/related-task": 5 }];

function message(random: () => number): unknown {
  const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)]!;
  const m: Record<string, unknown> = {};
  if (random() < 0.95) m.jsonrpc = pick(["2.0", "2.0", "2.0", "1.0", 2]);
  if (random() < 0.8) m.id = pick([1, "a", 0, -5, 1.5, 2 ** 60, null, {}, "", 2 ** 53 - 1]);
  if (random() < 0.95) m.method = pick(["tools/call", "tools/list", "ping", "", 5, null]);
  if (random() < 0.7) {
    const params: Record<string, unknown> = random() < 0.5 ? { name: "x", arguments: {} } : {};
    if (random() < 0.6) params._meta = pick(VALUES);
    m.params = random() < 0.9 ? params : pick(VALUES);
  }
  if (random() < 0.05) m.extra = 1;
  if (random() < 0.05) m.result = {};
  return m;
}

describe("malformedMessage", () => {
  it("agrees with the SDK's message schema on 20,000 generated messages, valid and not", () => {
    const random = seededRandom(1402);
    let valid = 0;
    for (let i = 0; i < 20_000; i++) {
      const m = message(random);
      const schemaSays = JSONRPCMessageSchema.safeParse(m).success;
      if (schemaSays) valid++;
      expect(malformedMessage(m) === null, JSON.stringify(m)).toBe(schemaSays);
    }
    // Both kinds were really tried.
    expect(valid).toBeGreaterThan(2_000);
    expect(valid).toBeLessThan(18_000);
  });
});
