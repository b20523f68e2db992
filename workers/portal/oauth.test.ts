/**
 * OAuth 2.1 at the portal, driven by the official SDK client as a CLI client would: 401 with
 * RFC 9728 metadata → RFC 8414 discovery (PKCE S256 advertised) → dynamic client registration with
 * a loopback redirect URI → authorize (PKCE, resource indicator) → the portal sends the browser to
 * the console → the console's signed consent comes back → code → token → tools. The console's
 * part is played here by signing the statement with the console's key (lib/auth/answer-consent
 * has its own tests; e2e/console/portal-oauth.spec.ts runs the real page in Chromium).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningKeyPair } from "@core/bundle/sign";
import { generateEdgeSecret } from "@core/edge/secret";
import { MemoryOAuthClient } from "@/testing/oauth-client";
import { startEverythingServer, type RunningServer } from "@/testing/mcp-servers";
import { allowRule, approvedServer, bundleOf, consentStatement, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

describe("OAuth 2.1 for MCP clients at the portal", () => {
  let portal: PortalUnderTest;
  let everything: RunningServer;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let carol: TestUser;

  beforeAll(async () => {
    const edgeSecret = generateEdgeSecret();
    [everything, sink] = await Promise.all([startEverythingServer("streamableHttp"), startEventSink(edgeSecret)]);
    portal = await startPortal({ consoleUrl: "http://console.example.test", edgeSecret });
    carol = await testUser("carol@example.test");
    const server = await approvedServer({ slug: "everything", url: `${everything.origin}/mcp`, edgeSecret });
    expect((await portal.push(await bundleOf({ servers: [server], users: [carol], rules: [allowRule({ type: "everyone" }, "everything")] }))).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([portal?.stop(), everything?.stop(), sink?.close()]);
  });

  it("publishes RFC 9728 and RFC 8414 metadata with PKCE S256 and registration", async () => {
    const challenge = await fetch(`${portal.origin}/mcp`, { method: "POST", body: "{}" });
    expect(challenge.status).toBe(401);
    const resourceMetadataUrl = /resource_metadata="([^"]+)"/.exec(challenge.headers.get("www-authenticate") ?? "")?.[1];
    const prm = (await (await fetch(resourceMetadataUrl!)).json()) as { resource: string; authorization_servers: string[] };
    expect(prm.resource).toBe(`${portal.origin}/mcp`);
    const as = (await (await fetch(`${prm.authorization_servers[0]}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(as).toMatchObject({ authorization_endpoint: `${portal.origin}/authorize`, token_endpoint: `${portal.origin}/token`, registration_endpoint: `${portal.origin}/register` });
    expect(as.code_challenge_methods_supported).toEqual(["S256"]);
    // A client of one server's endpoint (/mcp/{slug}) finds the same resource, which covers its URL.
    const scoped = await fetch(`${portal.origin}/mcp/everything`, { method: "POST", body: "{}" });
    expect(scoped.status).toBe(401);
    const scopedMetadataUrl = /resource_metadata="([^"]+)"/.exec(scoped.headers.get("www-authenticate") ?? "")?.[1];
    const scopedPrm = (await (await fetch(scopedMetadataUrl!)).json()) as { resource: string };
    expect(`${portal.origin}/mcp/everything`.startsWith(scopedPrm.resource)).toBe(true);
  });

  it("lets the SDK client register, sign in through the console, and call a tool; the token is bound to the consent", async () => {
    const oauth = new MemoryOAuthClient("http://127.0.0.1:53682/callback");
    const transport = () => new StreamableHTTPClientTransport(new URL("/mcp", portal.origin), { authProvider: oauth });
    const first = new Client({ name: "cli", version: "1" });
    await expect(first.connect(transport())).rejects.toThrow(UnauthorizedError);
    const authorizeUrl = oauth.authorizationUrl!;
    expect(authorizeUrl.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorizeUrl.searchParams.get("resource")).toBe(`${portal.origin}/mcp`);

    // The portal validates the request and sends the browser to the console, bound by a cookie.
    const toConsole = await fetch(authorizeUrl, { redirect: "manual" });
    expect(toConsole.status).toBe(302);
    const consentUrl = new URL(toConsole.headers.get("location")!);
    expect(consentUrl.origin + consentUrl.pathname).toBe("http://console.example.test/oauth/consent");
    expect(consentUrl.searchParams.get("client")).toBe("portcullis-test-cli");
    expect(consentUrl.searchParams.get("redirect")).toBe("127.0.0.1:53682");
    const returnTo = new URL(consentUrl.searchParams.get("return")!);
    const state = consentUrl.searchParams.get("state")!;
    const cookie = toConsole.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    expect(cookie).toMatch(/__Host-/);

    const assertion = await consentStatement(portal.keys, { state, userId: carol.id, email: carol.email, teamIds: [], aud: portal.origin });
    const callback = (extra: Record<string, string>, withCookie = true) => {
      const url = new URL(returnTo);
      url.searchParams.set("state", state);
      for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
      return fetch(url, { redirect: "manual", headers: withCookie ? { cookie } : {} });
    };
    // Another browser (no binding cookie) cannot use the statement.
    expect((await callback({ assertion }, false)).status).toBe(400);
    // A statement signed by another key is refused.
    const forged = await consentStatement(await generateSigningKeyPair(), { state, userId: carol.id, email: carol.email, teamIds: [], aud: portal.origin });
    expect((await callback({ assertion: forged })).status).toBe(400);
    // A genuine statement for another pending request is refused too.
    const otherRequest = await consentStatement(portal.keys, { state: "another-pending-request-0000", userId: carol.id, email: carol.email, teamIds: [], aud: portal.origin });
    expect((await callback({ assertion: otherRequest })).status).toBe(400);
    // …and so is one meant for another portal.
    const otherPortal = await consentStatement(portal.keys, { state, userId: carol.id, email: carol.email, teamIds: [], aud: "https://other-portal.example" });
    expect((await callback({ assertion: otherPortal })).status).toBe(400);

    const back = await callback({ assertion });
    expect(back.status).toBe(302);
    const toClient = new URL(back.headers.get("location")!);
    expect(toClient.origin + toClient.pathname).toBe("http://127.0.0.1:53682/callback");
    const code = toClient.searchParams.get("code")!;
    expect(code).toBeTruthy();

    const t = transport();
    await t.finishAuth(code);
    const client = new Client({ name: "cli", version: "1" });
    await client.connect(t);
    const names = (await client.listTools()).tools.map((x) => x.name);
    expect(names).toContain("everything_echo");
    const echo = await client.callTool({ name: "everything_echo", arguments: { message: "via oauth" } });
    expect(JSON.stringify(echo.content)).toContain("via oauth");
    await client.close();

    // Tokens the portal did not issue are refused.
    const bad = await fetch(`${portal.origin}/mcp`, { method: "POST", headers: { authorization: "Bearer nope:nope:nope" }, body: "{}" });
    expect(bad.status).toBe(401);
  });

  it("sends the client access_denied when the person denies", async () => {
    const oauth = new MemoryOAuthClient("http://localhost:53999/cb");
    await expect(new Client({ name: "cli", version: "1" }).connect(new StreamableHTTPClientTransport(new URL("/mcp", portal.origin), { authProvider: oauth }))).rejects.toThrow(UnauthorizedError);
    const toConsole = await fetch(oauth.authorizationUrl!, { redirect: "manual" });
    const consentUrl = new URL(toConsole.headers.get("location")!);
    const url = new URL(consentUrl.searchParams.get("return")!);
    url.searchParams.set("state", consentUrl.searchParams.get("state")!);
    url.searchParams.set("error", "access_denied");
    const res = await fetch(url, { redirect: "manual", headers: { cookie: toConsole.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ") } });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location")!);
    expect(location.host).toBe("localhost:53999");
    expect(location.searchParams.get("error")).toBe("access_denied");
  });
});
