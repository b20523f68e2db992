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
    const shown = { client: "portcullis-test-cli", redirectHost: "127.0.0.1:53682" };
    const cookie = toConsole.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    expect(cookie).toMatch(/__Host-/);

    const assertion = await consentStatement(portal.keys, { state, userId: carol.id, email: carol.email, teamIds: [], aud: portal.origin, ...shown });
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
  it("registers only clients whose redirect URIs are loopback, an app's own scheme, or allowed: an attacker's site is refused by name", async () => {
    const register = (redirect_uris: unknown) =>
      fetch(`${portal.origin}/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ client_name: "x", redirect_uris, token_endpoint_auth_method: "none" }) });
    const refused = await register(["https://attacker.example.net/cb"]);
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { error: string; error_description: string };
    expect(body.error).toBe("invalid_redirect_uri");
    expect(body.error_description).toContain("https://attacker.example.net/cb");
    expect(body.error_description).toContain("PORTCULLIS_OAUTH_REDIRECT_ALLOWLIST");
    // One bad URI among good ones refuses the whole registration.
    expect((await register(["http://127.0.0.1:5000/cb", "https://attacker.example.net/cb"])).status).toBe(400);
    // Loopback (any port, RFC 8252), an app's private-use scheme, a well-known hosted client: accepted.
    for (const uris of [["http://127.0.0.1:33418/callback"], ["http://localhost:6274/oauth/callback"], ["http://[::1]:9000/cb"], ["cursor://anysphere.cursor-mcp/oauth/callback"], ["https://claude.ai/api/mcp/auth_callback"]]) {
      const ok = await register(uris);
      expect(ok.status, JSON.stringify(uris)).toBe(201);
    }
    // Not loopback: a hostname merely starting with localhost, or a plain-http remote host.
    for (const uri of ["http://localhost.attacker.example/cb", "http://claude.ai/api/mcp/auth_callback", "javascript:alert(1)"]) {
      expect((await register([uri])).status, uri).toBe(400);
    }
  });

  it("refuses a consent whose page showed another client or destination than the one asking", async () => {
    const oauth = new MemoryOAuthClient("http://127.0.0.1:53683/callback", "Real CLI");
    await expect(new Client({ name: "cli", version: "1" }).connect(new StreamableHTTPClientTransport(new URL("/mcp", portal.origin), { authProvider: oauth }))).rejects.toThrow(UnauthorizedError);
    const toConsole = await fetch(oauth.authorizationUrl!, { redirect: "manual" });
    const consentUrl = new URL(toConsole.headers.get("location")!);
    expect(consentUrl.searchParams.get("client")).toBe("Real CLI");
    const state = consentUrl.searchParams.get("state")!;
    // The link was edited to show "Claude" going to claude.ai; the person approved that.
    const assertion = await consentStatement(portal.keys, { state, userId: carol.id, email: carol.email, teamIds: [], aud: portal.origin, client: "Claude", redirectHost: "claude.ai" });
    const url = new URL(consentUrl.searchParams.get("return")!);
    url.searchParams.set("state", state);
    url.searchParams.set("assertion", assertion);
    const res = await fetch(url, { redirect: "manual", headers: { cookie: toConsole.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ") } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("Sign-in refused");
  });

  it("sends a valid client its authorization errors (RFC 6749 §4.1.2.1), and shows the rest on the portal", async () => {
    const oauth = new MemoryOAuthClient("http://127.0.0.1:53684/callback");
    await expect(new Client({ name: "cli", version: "1" }).connect(new StreamableHTTPClientTransport(new URL("/mcp", portal.origin), { authProvider: oauth }))).rejects.toThrow(UnauthorizedError);
    const wrongResource = new URL(oauth.authorizationUrl!);
    wrongResource.searchParams.set("resource", "https://elsewhere.example/mcp");
    const res = await fetch(wrongResource, { redirect: "manual" });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get("location")!);
    expect(back.origin + back.pathname).toBe("http://127.0.0.1:53684/callback");
    expect(back.searchParams.get("error")).toBe("invalid_target");
    expect(back.searchParams.get("state")).toBe(wrongResource.searchParams.get("state"));
    // A redirect URI the client did not register is never redirected to.
    const wrongRedirect = new URL(oauth.authorizationUrl!);
    wrongRedirect.searchParams.set("redirect_uri", "http://127.0.0.1:1/evil");
    const shown = await fetch(wrongRedirect, { redirect: "manual" });
    expect(shown.status).toBe(400);
    expect(shown.headers.get("location")).toBeNull();
  });

  it("serves OAuth under every host name the portal answers to: localhost after 127.0.0.1", async () => {
    // Earlier tests signed in at 127.0.0.1; the same portal reached as localhost (what the Portal
    // page's snippet and mcp-remote use) must advertise, authorize and issue for localhost.
    const first = new MemoryOAuthClient("http://127.0.0.1:53688/callback");
    await expect(new Client({ name: "cli", version: "1" }).connect(new StreamableHTTPClientTransport(new URL("/mcp", portal.origin), { authProvider: first }))).rejects.toThrow(UnauthorizedError);
    expect((await fetch(first.authorizationUrl!, { redirect: "manual" })).status).toBe(302);
    const atLocalhost = { ...portal, origin: portal.origin.replace("127.0.0.1", "localhost") };
    expect(atLocalhost.origin).toContain("localhost");
    const granted = await signIn(atLocalhost, carol, new MemoryOAuthClient("http://127.0.0.1:53687/callback"));
    const res = await refresh(atLocalhost, granted);
    expect(res.status).toBe(200);
    expect(await listsTools(atLocalhost, ((await res.json()) as { access_token: string }).access_token)).toBe(true);
  });

  it("refreshes a grant within its lifetime, and refuses a refresh once the grant is older than PORTCULLIS_OAUTH_GRANT_MAX_DAYS", async () => {
    const fresh = await signIn(portal, carol, new MemoryOAuthClient("http://127.0.0.1:53685/callback"));
    const refreshed = await refresh(portal, fresh);
    expect(refreshed.status).toBe(200);
    const tokens = (await refreshed.json()) as { access_token: string; refresh_token: string };
    expect(tokens.refresh_token).toBeTruthy();
    expect(await listsTools(portal, tokens.access_token)).toBe(true);

    // A portal whose grants may live one minute (the shortest): the first refresh already finds less
    // than a minute left, so it is refused and the client must sign in again. Two checks refuse it:
    // the provider's own (the grant's expiry, which the policy cut at the maximum age, is less than a
    // minute away) once a second has passed since the sign-in, and the policy's (older than
    // PORTCULLIS_OAUTH_GRANT_MAX_DAYS allows) within the same second. Which one answers depends on
    // the clock, so either description is right; the default portal above refreshed at once.
    const short = await startPortal({ consoleUrl: "http://console.example.test", keys: portal.keys, edgeSecret: portal.edgeSecret, vars: { PORTCULLIS_OAUTH_GRANT_MAX_DAYS: "0.0001" } });
    try {
      expect((await short.push(await bundleOf({ servers: [], users: [carol], rules: [] }))).status).toBe(200);
      const oauth = new MemoryOAuthClient("http://127.0.0.1:53686/callback");
      const granted = await signIn(short, carol, oauth);
      const res = await refresh(short, granted);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: "invalid_grant", error_description: expect.stringMatching(/PORTCULLIS_OAUTH_GRANT_MAX_DAYS|Refresh token has expired/) });
    } finally {
      await short.stop();
    }
  });
});

interface Granted {
  clientId: string;
  refreshToken: string;
}

/** The whole sign-in of a CLI client at `at`, with the console's answer signed by its key; the tokens it got. */
async function signIn(at: PortalUnderTest, user: TestUser, oauth: MemoryOAuthClient): Promise<Granted> {
  await expect(new Client({ name: "cli", version: "1" }).connect(new StreamableHTTPClientTransport(new URL("/mcp", at.origin), { authProvider: oauth }))).rejects.toThrow(UnauthorizedError);
  const toConsole = await fetch(oauth.authorizationUrl!, { redirect: "manual" });
  const consentUrl = new URL(toConsole.headers.get("location")!);
  const state = consentUrl.searchParams.get("state")!;
  const assertion = await consentStatement(at.keys, {
    state,
    userId: user.id,
    email: user.email,
    teamIds: [],
    aud: at.origin,
    client: consentUrl.searchParams.get("client")!,
    redirectHost: consentUrl.searchParams.get("redirect")!,
  });
  const url = new URL(consentUrl.searchParams.get("return")!);
  url.searchParams.set("state", state);
  url.searchParams.set("assertion", assertion);
  const back = await fetch(url, { redirect: "manual", headers: { cookie: toConsole.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ") } });
  expect(back.status).toBe(302);
  const transport = new StreamableHTTPClientTransport(new URL("/mcp", at.origin), { authProvider: oauth });
  await transport.finishAuth(new URL(back.headers.get("location")!).searchParams.get("code")!);
  const tokens = oauth.tokens()!;
  expect(tokens.refresh_token).toBeTruthy();
  return { clientId: oauth.clientInformation()!.client_id, refreshToken: tokens.refresh_token! };
}

function refresh(at: PortalUnderTest, granted: Granted): Promise<Response> {
  return fetch(`${at.origin}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: granted.refreshToken, client_id: granted.clientId }),
  });
}

async function listsTools(at: PortalUnderTest, accessToken: string): Promise<boolean> {
  const client = new Client({ name: "cli", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", at.origin), { requestInit: { headers: { authorization: `Bearer ${accessToken}` } } }));
  try {
    return (await client.listTools()).tools.some((t) => t.name === "everything_echo");
  } finally {
    await client.close();
  }
}
