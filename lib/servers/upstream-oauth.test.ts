import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOidcServer } from "@/testing/servers/oidc-server.mjs";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { completeAuthorization } from "@/testing/oauth-login.mjs";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { servers } from "@/db/schema";
import { ForbiddenError, NotFoundError, ValidationError } from "../errors";
import { makeUser } from "@/testing/users";
import { freePort } from "@/testing/mcp-servers";
import { open } from "@/lib/secret-box";
import { registerServer } from "./register-server";
import { syncServer } from "./sync-server";
import { completeUpstreamOAuth } from "./complete-upstream-oauth";
import { startUpstreamOAuth } from "./start-upstream-oauth";

const CONSOLE = "http://console.test";

/**
 * The console as an OAuth client of a real authorization server (oidc-provider with dynamic
 * client registration and JWT access tokens for the MCP resource) in front of a real MCP server
 * that validates those tokens.
 */
describe.each(testDatabases())("upstream OAuth (authorization code + dynamic registration) on $name", (database) => {
  const { db } = useTestDatabase(database);
  let idp: Awaited<ReturnType<typeof startOidcServer>>;
  let mcp: Awaited<ReturnType<typeof startMutableServer>>;

  beforeAll(async () => {
    // Access tokens live 2 s, so a later sync must refresh them.
    idp = await startOidcServer({ port: 0, registration: true, resourceServer: { accessTokenTTL: 2 } });
    mcp = await startMutableServer({ port: 0, oauth: { issuer: idp.issuer } });
  });
  afterAll(async () => {
    await Promise.all([mcp?.close(), idp?.close()]);
  });

  async function authorizeAs(user: Awaited<ReturnType<typeof makeUser>>) {
    const { flowId, authorizationUrl } = await startUpstreamOAuth({ db, actor: user }, { url: mcp.url }, CONSOLE);
    const authUrl = new URL(authorizationUrl);
    expect(authUrl.origin).toBe(new URL(idp.issuer).origin);
    expect(authUrl.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authUrl.searchParams.get("redirect_uri")).toBe(`${CONSOLE}/api/oauth/upstream/callback`);
    const callback = await completeAuthorization(authUrl, { login: "alice" });
    return { flowId, state: callback.searchParams.get("state")!, code: callback.searchParams.get("code")! };
  }

  it("registers, signs in at the provider, exchanges the code, discovers with the token and refreshes it on sync", async () => {
    const member = await makeUser(db, "member");
    const { flowId, state, code } = await authorizeAs(member);
    await expect(completeUpstreamOAuth({ db, actor: member }, { state, code })).resolves.toEqual({ flowId });

    const server = await registerServer(
      { db, actor: member },
      { name: "Protected weather", slug: `oauth-${flowId.slice(0, 8)}`, url: mcp.url, justification: "x", auth: { type: "oauth_authorization_code", flowId } },
    );
    expect(server.tools!.map((t) => t.name).sort()).toEqual(["delete_station", "get_weather", "list_forecasts"]);
    expect(server.auth.type).toBe("oauth_authorization_code");
    expect(server.auth.summary.clientId).toEqual(expect.any(String));
    expect(mcp.lastTokenClaims()?.sub).toBe("alice");

    const [row] = await db.select().from(servers).where(eq(servers.id, server.id));
    const before = JSON.parse(open(row!.credentialCiphertext!, `server:${server.id}:credential`)).oauth.tokens;
    expect(before.refresh_token).toEqual(expect.any(String));
    expect(JSON.stringify(server)).not.toContain(before.access_token);

    // The flow is single use.
    await expect(
      registerServer({ db, actor: member }, { name: "Again", slug: `again-${flowId.slice(0, 8)}`, url: mcp.url, justification: "x", auth: { type: "oauth_authorization_code", flowId } }),
    ).rejects.toBeInstanceOf(ValidationError);

    // After the access token expired, a sync refreshes it and keeps the new tokens sealed.
    // 2 s TTL plus the fixture's 5 s clock tolerance.
    await new Promise((r) => setTimeout(r, 7_500));
    const admin = await makeUser(db, "admin");
    await expect(syncServer({ db, actor: admin }, server.id)).resolves.toMatchObject({ changed: false });
    const [after] = await db.select().from(servers).where(eq(servers.id, server.id));
    const refreshed = JSON.parse(open(after!.credentialCiphertext!, `server:${server.id}:credential`)).oauth.tokens;
    expect(refreshed.access_token).not.toBe(before.access_token);
  }, 60_000);

  it("refuses a callback from another person, an unknown state, a provider error, and viewers", async () => {
    const member = await makeUser(db, "member");
    const other = await makeUser(db, "member");
    const { state, code } = await authorizeAs(member);
    await expect(completeUpstreamOAuth({ db, actor: other }, { state, code })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(completeUpstreamOAuth({ db, actor: member }, { state: "nope", code })).rejects.toBeInstanceOf(NotFoundError);
    await expect(completeUpstreamOAuth({ db, actor: member }, { state, error: "access_denied" })).rejects.toMatchObject({ code: "UPSTREAM_AUTH_FAILED" });
    await expect(startUpstreamOAuth({ db, actor: await makeUser(db, "viewer") }, { url: mcp.url }, CONSOLE)).rejects.toBeInstanceOf(ForbiddenError);
  }, 60_000);

  it("explains a server that asks for no OAuth", async () => {
    const plain = await startMutableServer({ port: 0 });
    try {
      const member = await makeUser(db, "member");
      await expect(startUpstreamOAuth({ db, actor: member }, { url: plain.url }, CONSOLE)).rejects.toMatchObject({
        code: "UPSTREAM_AUTH_FAILED",
        message: `${plain.url} does not offer OAuth sign-in: it publishes no OAuth metadata (no /.well-known/oauth-protected-resource or /.well-known/oauth-authorization-server). Choose no authentication, a bearer token or custom headers instead.`,
      });
    } finally {
      await plain.close();
    }
  });

  it("says in words why the server could not be reached, as discovery does", async () => {
    const member = await makeUser(db, "member");
    const port = await freePort();
    await expect(startUpstreamOAuth({ db, actor: member }, { url: `http://127.0.0.1:${port}/mcp` }, CONSOLE)).rejects.toMatchObject({
      code: "UPSTREAM_UNREACHABLE",
      message: `Nothing is listening at 127.0.0.1:${port} (connection refused). Check the port in the URL, and that the server is running.`,
    });
  });
});
