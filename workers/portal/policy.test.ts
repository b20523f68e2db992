/**
 * Access policies inside workerd: the evaluator's table of cases (testing/policy-cases.ts, the
 * same fixture the console's tests run) decided by the Worker runtime, and the bundle's policy
 * rules enforced on real MCP calls through the portal — IdP group, e-mail domain and API token
 * subjects, a client CIDR condition and a UTC time window.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import type { PolicyRule } from "@core/bundle/schema";
import { generateEdgeSecret } from "@core/edge/secret";
import type { PolicyDecision } from "@core/policy/evaluate";
import { POLICY_CASES } from "@/testing/policy-cases";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const hhmm = (minutesFromNow: number) => {
  const d = new Date(Date.now() + minutesFromNow * 60_000);
  return `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
};

describe("access policies in workerd", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let weather: Awaited<ReturnType<typeof startMutableServer>>;
  const clients: Client[] = [];

  beforeAll(async () => {
    const edgeSecret = generateEdgeSecret();
    [weather, sink] = await Promise.all([startMutableServer({ port: 0 }), startEventSink(edgeSecret)]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret, testHooks: true });
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled([portal?.stop(), sink?.close(), weather?.close()]);
  });

  it.each(POLICY_CASES)("decides the shared case in workerd: $name", async (c) => {
    const ask = async (rules: typeof c.rules) => {
      const res = await fetch(`${portal.origin}/_portcullis/test/decide`, { method: "POST", body: JSON.stringify({ rules, who: c.who, request: c.request }) });
      expect(res.status).toBe(200);
      return (await res.json()) as PolicyDecision;
    };
    const decision = await ask(c.rules);
    expect(decision.effect).toBe(c.effect);
    expect(decision.ruleId).toBe(c.rule === null ? null : `00000000-0000-4000-8000-${c.rule.padStart(12, "0")}`);
    expect(await ask([...c.rules].reverse())).toEqual(decision);
  });

  describe("on MCP calls", () => {
    let alice: TestUser; // acme.test, IdP group "contractors"
    let bob: TestUser; // partner.example
    let carol: TestUser; // acme.test; her API token is denied get_*
    let dave: TestUser; // acme.test; denied during a window around now
    let erin: TestUser; // acme.test, but her IdP did not verify the address
    const rules: Record<string, PolicyRule> = {};

    async function connect(user: TestUser, clientIp?: string): Promise<Client> {
      const client = new Client({ name: "policy-test", version: "1" });
      const headers: Record<string, string> = { authorization: `Bearer ${user.token}`, ...(clientIp ? { "cf-connecting-ip": clientIp } : {}) };
      await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", portal.origin), { requestInit: { headers } }));
      clients.push(client);
      return client;
    }

    const call = async (client: Client, name: string) => {
      try {
        const result = await client.callTool({ name, arguments: name.endsWith("get_weather") ? { city: "Oslo" } : { station: "x" } });
        return result.isError ? "tool error" : "ok";
      } catch (error) {
        return error instanceof Error && /is not available/.test(error.message) ? "refused" : `error: ${String(error)}`;
      }
    };

    beforeAll(async () => {
      alice = await testUser("alice@acme.test", [], ["contractors"]);
      bob = await testUser("bob@partner.example");
      carol = await testUser("carol@ACME.test");
      dave = await testUser("dave@acme.test");
      erin = await testUser("erin@acme.test", [], [], { emailVerified: false });
      const server = await approvedServer({ slug: "weather", url: weather.url, edgeSecret: portal.edgeSecret });
      Object.assign(rules, {
        everyone: allowRule({ type: "everyone" }, "weather", "get_*"),
        domain: allowRule({ type: "emailDomain", domain: "acme.test" }, "weather", "*"),
        contractors: allowRule({ type: "group", group: "contractors" }, "weather", "delete_*", "deny", 200),
        office: { ...allowRule({ type: "everyone" }, "weather", "delete_*", "allow", 300), conditions: { clientCidrs: ["10.20.0.0/16"] } },
        carolToken: allowRule({ type: "token", tokenId: carol.tokenId }, "weather", "get_*", "deny", 400),
        daveNow: { ...allowRule({ type: "user", userId: dave.id }, "weather", "*", "deny", 500), conditions: { timeWindow: { start: hhmm(-60), end: hhmm(60) } } },
        daveLater: { ...allowRule({ type: "user", userId: dave.id }, "weather", "get_*", "allow", 600), conditions: { timeWindow: { start: hhmm(120), end: hhmm(180) } } },
      });
      const res = await portal.push(await bundleOf({ servers: [server], users: [alice, bob, carol, dave, erin], rules: Object.values(rules) }));
      expect(res.status).toBe(200);
    }, 60_000);

    it("matches e-mail domains case-insensitively and IdP groups, with priorities deciding", async () => {
      const a = await connect(alice);
      // Domain allows weather/*, the contractors group denies delete_* above it.
      expect((await a.listTools()).tools.map((t) => t.name).sort()).toEqual(["weather_get_weather", "weather_list_forecasts"]);
      expect(await call(a, "weather_get_weather")).toBe("ok");
      expect(await call(a, "weather_delete_station")).toBe("refused");
      const b = await connect(bob);
      expect((await b.listTools()).tools.map((t) => t.name)).toEqual(["weather_get_weather"]);
      expect(await call(b, "weather_get_weather")).toBe("ok");
      expect(await call(b, "weather_delete_station")).toBe("refused");
      await a.close();
      await b.close();
      await expect.poll(() => sink.events.filter((e) => e.userId === alice.id && e.tool === "delete_station").map((e) => [e.decision, e.ruleId])).toEqual([["denied", rules.contractors!.id]]);
    });

    it("never matches an e-mail domain rule on an address the IdP did not verify", async () => {
      const e = await connect(erin);
      expect((await e.listTools()).tools.map((t) => t.name)).toEqual(["weather_get_weather"]);
      expect(await call(e, "weather_delete_station")).toBe("refused");
      await e.close();
    });

    it("applies a client CIDR condition from the caller's address (CF-Connecting-IP)", async () => {
      const inside = await connect(alice, "10.20.3.4");
      expect(await call(inside, "weather_delete_station")).not.toBe("refused");
      const outside = await connect(alice, "10.21.3.4");
      expect(await call(outside, "weather_delete_station")).toBe("refused");
      await expect.poll(() => sink.events.filter((e) => e.userId === alice.id && e.tool === "delete_station" && e.decision === "allowed").map((e) => [e.clientIp, e.ruleId])).toEqual([["10.20.3.4", rules.office!.id]]);
    });

    it("denies calls made with one API token, and a UTC time window around now", async () => {
      const c = await connect(carol);
      expect(await call(c, "weather_get_weather")).toBe("refused");
      expect(await call(c, "weather_delete_station")).not.toBe("refused");
      const d = await connect(dave);
      expect((await d.listTools()).tools).toEqual([]);
      expect(await call(d, "weather_get_weather")).toBe("refused");
      await expect.poll(() => sink.events.filter((e) => e.userId === dave.id && e.method === "tools/call").map((e) => e.ruleId)).toEqual([rules.daveNow!.id]);
    });
  });
});
