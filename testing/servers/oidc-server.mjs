/**
 * Minimal, real OpenID Connect provider for end-to-end sign-in tests,
 * built on `oidc-provider` (v9). Everything is in memory: keys, sessions,
 * grants and codes are gone when the process exits.
 *
 *   node testing/servers/oidc-server.mjs
 *     OIDC_TEST_PORT            default 3210   (issuer = http://localhost:<port>)
 *     OIDC_TEST_CLIENT_ID       default "portcullis"
 *     OIDC_TEST_CLIENT_SECRET   default "portcullis-secret"
 *     OIDC_TEST_REDIRECT_URIS   comma-separated,
 *                               default "http://localhost:3100/api/auth/callback/oidc"
 *     OIDC_TEST_FORCE_LOGIN     default "1"; "0" lets an existing IdP session
 *                               sign the user in again without the login page
 *     OIDC_TEST_ISSUER_HOST     default "localhost" (host name in the issuer URL)
 *     OIDC_TEST_REGISTRATION    "1" enables open dynamic client registration (see below)
 *     OIDC_TEST_RESOURCE_SERVER "1": JWT access tokens for any loopback resource
 *                               indicator; or comma-separated resource URLs to allow
 *     OIDC_TEST_RESOURCE_SCOPES space-separated scopes of that resource server
 *                               (default "mcp")
 *   prints "oidc server ready at <issuer>" once listening; exits on SIGTERM/SIGINT.
 *
 * Programmatic use:
 *   const { issuer, close } = await startOidcServer({ port, clients, accounts });
 *   // port 0 picks a free port; `issuer` carries the real one
 *
 * ---------------------------------------------------------------------------
 * OAuth for MCP servers (both off by default)
 * ---------------------------------------------------------------------------
 *   await startOidcServer({ port: 0, host: '127.0.0.1', issuerHost: '127.0.0.1',
 *     registration: true, resourceServer: true });
 *
 * - `registration: true`: open dynamic client registration (RFC 7591) at
 *   <issuer>/reg, no initial access token. Public clients
 *   (`token_endpoint_auth_method: "none"`, PKCE) and confidential ones
 *   (`client_secret_post` / `client_secret_basic`) alike; http redirect URIs on
 *   localhost / 127.0.0.1 with any port are accepted for (default) web clients
 *   and then matched exactly. `clients` may be empty.
 * - `resourceServer: true | { url?, scope?, accessTokenTTL? }`: resource
 *   indicators (RFC 8707). An authorization/token request with
 *   `resource=<url>` gets a JWT access token (RFC 9068, `typ: at+jwt`, RS256,
 *   signed with the keys at <issuer>/jwks) with `aud` = that exact resource
 *   string, `iss`, `sub`, `client_id`, `exp`, and `scope` (the requested scopes
 *   among `scope`). `url` (string or list) restricts the accepted resources;
 *   without it any http(s) URL on localhost / 127.0.0.1 / [::1] is accepted,
 *   so the IdP can start before the MCP server whose URL it does not know yet.
 *   `scope` (space-separated or list, default "mcp") are the resource
 *   server's scopes; they are also accepted in client registration. An
 *   authorization request with `resource` but no `scope` (what the MCP SDK
 *   sends when nobody names a scope) gets all of them as its default scope:
 *   oidc-provider refuses requests that would grant no scope at all.
 *   `accessTokenTTL` seconds, default 3600.
 * - Refresh tokens: dynamically registered clients that allow the
 *   `refresh_token` grant, and any client's grant for a resource indicator, get
 *   a refresh token without `offline_access`, and their tokens do not end with
 *   the IdP session. Statically configured clients without a resource keep
 *   oidc-provider's rule (refresh token only with `offline_access`).
 * - A consent prompt (native clients, `prompt=consent`, which the MCP SDK adds
 *   whenever `offline_access` is requested) is granted automatically too.
 * - To drive the login page without a browser, see
 *   testing/oauth-login.mjs (completeAuthorization).
 *
 * Accounts (login name = account id): alice, victor, mallory (see DEFAULT_ACCOUNTS).
 * Scopes `openid email profile` release sub, email, email_verified, name,
 * preferred_username and groups (array) in the ID token AND in userinfo.
 * `groups` is also available as its own scope.
 *
 * Client authentication: the default client uses `client_secret_basic`
 * (Auth.js' default, i.e. leave `client.token_endpoint_auth_method` unset).
 * PKCE (S256) is accepted; plain `state`/`nonce` work too.
 *
 * ---------------------------------------------------------------------------
 * Signing in from Playwright (Chromium)
 * ---------------------------------------------------------------------------
 * The login page is served at http://localhost:<port>/interaction/<uid>:
 *
 *   await page.locator('input[name="login"]').fill('alice');   // or getByLabel('Login')
 *   await page.locator('button[type="submit"]').click();       // button text "Sign in"
 *   // -> 303 back to /auth/<uid> -> 303 to the client's redirect_uri with ?code=
 *
 * - There is NO password field and NO consent screen: consent is granted
 *   automatically for every requested scope (see loadExistingGrant below).
 * - An unknown login name is refused: the form is re-rendered (HTTP 401) with
 *   `p[role="alert"]` ("Unknown user ...") and the user stays on the page.
 * - A "Cancel" button (`button[name="abort"]`, text "Cancel") returns
 *   error=access_denied to the client.
 * - With force-login (the default) the login page appears on EVERY
 *   authorization request, even if the browser already has an IdP session, so
 *   a test can sign out of the app and sign in as another user in the same
 *   browser context. When the user switches accounts, oidc-provider first
 *   passes through a self-submitting "Submitting Callback" page
 *   (/session/end/confirm) that ends the previous IdP session; Chromium
 *   follows it automatically, so just wait for the app URL.
 */
import { randomBytes, generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

export const DEFAULT_ACCOUNTS = {
  alice: { email: 'alice@acme.test', name: 'Alice Admin', groups: ['portcullis-admins', 'platform'] },
  victor: { email: 'victor@acme.test', name: 'Victor Viewer', groups: ['portcullis-viewers'] },
  mallory: { email: 'mallory@acme.test', name: 'Mallory Member', groups: ['platform'] },
  aaron: { email: 'aaron@acme.test', name: 'Aaron Approver', groups: ['portcullis-approvers'] },
};

// oidc-provider prints a few "quick start / development-only" notices that do
// not apply to a throw-away test IdP. Only these exact messages are dropped;
// every other warning and all errors still go through.
const SILENCED_NOTICES = [
  'oidc-provider WARNING: Unsupported runtime.', // Node 20 is below its "Jod" (22) LTS preference but works
];

let providerModule;
async function loadOidcProvider() {
  if (!providerModule) {
    const originalWarn = console.warn;
    console.warn = (...args) => {
      if (typeof args[0] === 'string' && SILENCED_NOTICES.some((m) => args[0].includes(m))) return;
      originalWarn.apply(console, args);
    };
    try {
      providerModule = await import('oidc-provider');
    } finally {
      console.warn = originalWarn;
    }
  }
  return providerModule;
}

// --- tiny in-memory adapter (own instance per server, no dev-only warning) --

// models whose records are removed when their grant is revoked
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

function createMemoryAdapterFactory() {
  const store = new Map(); // key -> { payload, expiresAt }
  const get = (key) => {
    const entry = store.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry.payload;
  };
  const set = (key, payload, expiresIn) => {
    store.set(key, {
      payload,
      expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined,
    });
  };

  return (model) => {
    const key = (id) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        set(key(id), payload, expiresIn);
        if (model === 'Session' && payload.uid) set(`sessionUid:${payload.uid}`, id, expiresIn);
        if (payload.userCode) set(`userCode:${payload.userCode}`, id, expiresIn);
        if (GRANTABLE.has(model) && payload.grantId) {
          const members = get(`grant:${payload.grantId}`) ?? new Set();
          members.add(key(id));
          set(`grant:${payload.grantId}`, members);
        }
      },
      async find(id) {
        return get(key(id));
      },
      async findByUid(uid) {
        const id = get(`sessionUid:${uid}`);
        return id === undefined ? undefined : get(key(id));
      },
      async findByUserCode(userCode) {
        const id = get(`userCode:${userCode}`);
        return id === undefined ? undefined : get(key(id));
      },
      async consume(id) {
        const payload = get(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        store.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const member of get(`grant:${grantId}`) ?? []) store.delete(member);
        store.delete(`grant:${grantId}`);
      },
    };
  };
}

// --- helpers ----------------------------------------------------------------

const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

const toList = (value) =>
  (Array.isArray(value) ? value : String(value ?? '').split(/[\s,]+/)).map((s) => String(s).trim()).filter(Boolean);

function isLoopbackHttpUrl(value) {
  const url = URL.parse(value);
  return !!url && ['http:', 'https:'].includes(url.protocol) && LOOPBACK_HOSTNAMES.has(url.hostname);
}

function generateSigningJwks() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { keys: [{ ...jwk, kid: `test-${randomUUID()}`, alg: 'RS256', use: 'sig' }] };
}

const escapeHtml = (value) =>
  String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:24rem;margin:3rem auto}label,input,button{display:block;margin:.5rem 0}p[role=alert]{color:#b00}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>`;
}

function loginPage({ uid, clientId, loginHint = '', error }) {
  return page(
    'Test IdP sign-in',
    `<p>Signing in to <code>${escapeHtml(clientId)}</code></p>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
  <label for="login">Login</label>
  <input id="login" type="text" name="login" required autofocus value="${escapeHtml(loginHint)}">
  <button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort">
  <button type="submit" name="abort" value="1">Cancel</button>
</form>`,
  );
}

function sendHtml(res, status, html) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}

// --- server -----------------------------------------------------------------

/**
 * @param {object} [options]
 * @param {number} [options.port=3210]
 * @param {string} [options.host] interface to bind; default: all (dual-stack), so
 *   both 127.0.0.1 and ::1 answer for "localhost"
 * @param {object[]} options.clients oidc-provider client metadata, e.g.
 *   { client_id, client_secret, redirect_uris: [...] } (defaults filled in)
 * @param {Record<string,{email:string,name:string,groups:string[]}>} [options.accounts]
 * @param {boolean} [options.forceLogin=true] show the login page on every
 *   authorization request, ignoring an existing IdP session
 * @param {string} [options.issuerHost='localhost'] host name in the issuer URL
 * @param {boolean} [options.registration=false] open dynamic client registration
 * @param {true | { url?: string | string[], scope?: string | string[], accessTokenTTL?: number }} [options.resourceServer]
 *   resource indicators with JWT access tokens (see the header)
 * @returns {Promise<{ issuer: string, port: number, close: () => Promise<void>, provider: object }>}
 */
export async function startOidcServer({
  port = 3210,
  host,
  clients,
  accounts = DEFAULT_ACCOUNTS,
  forceLogin = true,
  issuerHost = 'localhost',
  registration = false,
  resourceServer,
} = {}) {
  const { Provider, interactionPolicy, errors } = await loadOidcProvider();

  if (clients === undefined && registration) clients = [];
  if (!Array.isArray(clients) || (clients.length === 0 && !registration)) {
    throw new TypeError('startOidcServer: at least one client is required');
  }

  const accountIds = new Set(Object.keys(accounts));
  const staticClientIds = new Set(clients.map((client) => client.client_id));

  // --- resource server (RFC 8707 resource indicators, RFC 9068 JWT access tokens)
  const resourceConfig = resourceServer === true ? {} : resourceServer || undefined;
  const resourceScopes = resourceConfig ? toList(resourceConfig.scope ?? 'mcp') : [];
  const allowedResources =
    resourceConfig?.url === undefined ? undefined : new Set(toList(resourceConfig.url).map((u) => new URL(u).href));
  const resourceAllowed = (indicator) =>
    allowedResources ? allowedResources.has(URL.parse(indicator)?.href) : isLoopbackHttpUrl(indicator);

  // Clients the MCP flows use get refresh tokens without `offline_access`, bound to no IdP session.
  const hasResource = (source) => (Array.isArray(source.resource) ? source.resource.length > 0 : !!source.resource);
  const longLived = (client, source) =>
    client.grantTypeAllowed('refresh_token') && (!staticClientIds.has(client.clientId) || hasResource(source));

  // Listen first, so that port 0 works: the issuer needs the real port.
  let handler;
  const server = createServer((req, res) => {
    if (handler) {
      handler(req, res);
      return;
    }
    res.statusCode = 503;
    res.end();
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  let closing;
  const close = () => {
    closing ??= new Promise((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    });
    return closing;
  };

  const closeOnThrow = (build) => {
    try {
      return build();
    } catch (err) {
      void close();
      throw err;
    }
  };

  const actualPort = server.address().port;
  const issuer = `http://${issuerHost.includes(':') ? `[${issuerHost}]` : issuerHost}:${actualPort}`;

  const policy = interactionPolicy.base();
  if (forceLogin) {
    policy.get('login').checks.add(
      new interactionPolicy.Check(
        'force_login',
        'test IdP always asks who is signing in',
        // ctx.oidc.result.login is only set when resuming right after our login form
        (ctx) => (ctx.oidc.result?.login ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT),
      ),
    );
  }

  // (a bad configuration must not leave the port taken)
  const provider = closeOnThrow(() => new Provider(issuer, {
    adapter: createMemoryAdapterFactory(),
    jwks: generateSigningJwks(),
    cookies: { keys: [randomBytes(32).toString('base64url')] },

    clients: clients.map((client) => ({
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      application_type: 'web',
      ...client,
    })),

    async findAccount(ctx, sub) {
      if (!accountIds.has(sub)) return undefined;
      const account = accounts[sub];
      return {
        accountId: sub,
        async claims() {
          // oidc-provider filters these by granted scope (see `claims` below)
          return {
            sub,
            email: account.email,
            email_verified: true,
            name: account.name,
            preferred_username: sub,
            groups: [...account.groups],
          };
        },
      };
    },

    // Resource server scopes must be known scopes, or client registration refuses them.
    ...(resourceScopes.length ? { scopes: ['openid', 'offline_access', ...resourceScopes] } : {}),

    // scope -> claims it releases; the scope names become supported scopes
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username', 'groups'],
      groups: ['groups'],
    },
    // Put scope-released claims into the ID token itself (default `true` would
    // keep them in userinfo only whenever an access token is also issued).
    // Auth.js builds the profile from the ID token claims.
    conformIdTokenClaims: false,

    // Own login page below; no dev interactions (they accept any login name,
    // require a password field and show a consent screen).
    features: {
      devInteractions: { enabled: false },
      // Only with `resourceServer` (Auth.js needs none; off keeps the discovery doc and tokens simple).
      resourceIndicators: resourceConfig
        ? {
            enabled: true,
            async getResourceServerInfo(ctx, resourceIndicator) {
              if (!resourceAllowed(resourceIndicator)) {
                throw new errors.InvalidTarget(`unknown resource indicator ${resourceIndicator}`);
              }
              return {
                scope: resourceScopes.join(' '),
                audience: resourceIndicator,
                accessTokenTTL: resourceConfig.accessTokenTTL ?? 60 * 60,
                accessTokenFormat: 'jwt',
                jwt: { sign: { alg: 'RS256' } },
              };
            },
          }
        : { enabled: false },
      registration: registration ? { enabled: true, initialAccessToken: false } : { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page('Sign out', `${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>`);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = page('Signed out', '<p>You are signed out of the test IdP.</p>');
        },
      },
    },
    interactions: {
      policy,
      url: (ctx, interaction) => `/interaction/${interaction.uid}`,
    },

    // Auto-consent: every client is first-party, grant whatever was requested.
    async loadExistingGrant(ctx) {
      const { oidc } = ctx;
      const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
      let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
      if (grant && grant.accountId !== oidc.session.accountId) grant = undefined;
      if (!grant) {
        grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
      }
      grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
      if (oidc.requestParamClaims.size) grant.addOIDCClaims([...oidc.requestParamClaims]);
      // resource indicators: the requested scopes each resource server knows
      for (const [indicator, resource] of Object.entries(oidc.resourceServers ?? {})) {
        const scopes = [...oidc.requestParamScopes].filter((scope) => resource.scopes.has(scope));
        if (scopes.length) grant.addResourceScope(indicator, scopes.join(' '));
      }
      await grant.save();
      return grant;
    },

    pkce: { required: () => false }, // S256 is used when sent (Auth.js sends it)

    ...(registration || resourceConfig
      ? {
          async issueRefreshToken(ctx, client, source) {
            return (
              client.grantTypeAllowed('refresh_token') && (source.scopes.has('offline_access') || longLived(client, source))
            );
          },
          async expiresWithSession(ctx, source) {
            return !source.scopes.has('offline_access') && !longLived(ctx.oidc.client, source);
          },
        }
      : {}),

    // explicit TTLs (the defaults log "you SHOULD change it" notices)
    ttl: {
      // a resource server's accessTokenTTL applies to its tokens
      AccessToken: resourceConfig ? (ctx, token) => token.resourceServer?.accessTokenTTL ?? 60 * 60 : 60 * 60,
      AuthorizationCode: 60,
      IdToken: 60 * 60,
      RefreshToken: 24 * 60 * 60,
      Interaction: 60 * 60,
      Session: 24 * 60 * 60,
      Grant: 24 * 60 * 60,
    },
    clientBasedCORS: (ctx, origin, client) =>
      client.redirectUris.some((uri) => URL.parse(uri)?.origin === origin),

    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page(
        'Test IdP error',
        Object.entries(out)
          .map(([k, v]) => `<p><strong>${escapeHtml(k)}</strong>: <code>${escapeHtml(v)}</code></p>`)
          .join('\n'),
      );
    },
  }));

  if (resourceConfig && resourceScopes.length) {
    // RFC 6749 §3.3 default scope: the MCP SDK sends no `scope` unless the resource metadata or the
    // client names one, and oidc-provider refuses a request that would grant no scope at all.
    provider.use(async (ctx, next) => {
      const { query } = ctx;
      if (ctx.path === '/auth' && ctx.method === 'GET' && !query.scope && typeof query.resource === 'string' && resourceAllowed(query.resource)) {
        ctx.query = { ...query, scope: resourceScopes.join(' ') };
      }
      await next();
    });
  }

  // Surface server-side failures (they are otherwise only visible to the client).
  provider.on('server_error', (ctx, err) => console.error('[oidc] server_error:', err));
  provider.on('authorization.error', (ctx, err) => console.error('[oidc] authorization.error:', err.message, err.error_description ?? ''));
  provider.on('grant.error', (ctx, err) => console.error('[oidc] grant.error:', err.message, err.error_description ?? ''));

  const oidcCallback = provider.callback();

  async function handleInteraction(req, res, uid, action) {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== uid) {
        sendHtml(res, 400, page('Test IdP error', '<p role="alert">Interaction mismatch.</p>'));
        return;
      }
      const clientId = details.params.client_id;

      if (action === undefined && req.method === 'GET') {
        if (details.prompt.name === 'consent') {
          // Asked for by native clients and prompt=consent: the grant is already
          // complete (loadExistingGrant), so just confirm it, keeping the login.
          await provider.interactionFinished(req, res, { consent: {} }, { mergeWithLastSubmission: true });
          return;
        }
        if (details.prompt.name !== 'login') {
          sendHtml(res, 501, page('Test IdP error', `<p role="alert">Unsupported prompt ${escapeHtml(details.prompt.name)}</p>`));
          return;
        }
        sendHtml(res, 200, loginPage({ uid, clientId, loginHint: details.params.login_hint ?? '' }));
        return;
      }

      if (action === 'login' && req.method === 'POST') {
        const form = await readForm(req);
        const login = (form.get('login') ?? '').trim();
        if (!accountIds.has(login)) {
          sendHtml(res, 401, loginPage({ uid, clientId, loginHint: login, error: `Unknown user "${login}".` }));
          return;
        }
        await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
        return;
      }

      if (action === 'abort' && req.method === 'POST') {
        await provider.interactionFinished(
          req,
          res,
          { error: 'access_denied', error_description: 'End-User aborted interaction' },
          { mergeWithLastSubmission: false },
        );
        return;
      }

      res.statusCode = 405;
      res.end();
    } catch (err) {
      if (err?.name === 'SessionNotFound') {
        sendHtml(res, 400, page('Test IdP error', '<p role="alert">Sign-in session expired or cookies missing; restart sign-in.</p>'));
        return;
      }
      console.error('[oidc] interaction error:', err);
      if (!res.headersSent) sendHtml(res, 500, page('Test IdP error', '<p role="alert">Internal error.</p>'));
      else res.end();
    }
  }

  handler = (req, res) => {
    const { pathname } = new URL(req.url ?? '/', issuer);
    const match = /^\/interaction\/([^/]+)(?:\/(login|abort))?\/?$/.exec(pathname);
    if (match) {
      void handleInteraction(req, res, match[1], match[2]);
      return;
    }
    oidcCallback(req, res);
  };

  return { issuer, port: actualPort, close, provider };
}

// --- CLI --------------------------------------------------------------------

const isMain = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;

if (isMain) {
  const port = Number(process.env.OIDC_TEST_PORT || 3210);
  const redirectUris = (process.env.OIDC_TEST_REDIRECT_URIS || 'http://localhost:3100/api/auth/callback/oidc')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

  const resourceEnv = process.env.OIDC_TEST_RESOURCE_SERVER?.trim();
  const { issuer, close } = await startOidcServer({
    port,
    forceLogin: process.env.OIDC_TEST_FORCE_LOGIN !== '0',
    issuerHost: process.env.OIDC_TEST_ISSUER_HOST || 'localhost',
    registration: process.env.OIDC_TEST_REGISTRATION === '1',
    resourceServer:
      resourceEnv && resourceEnv !== '0'
        ? {
            ...(resourceEnv === '1' ? {} : { url: toList(resourceEnv) }),
            ...(process.env.OIDC_TEST_RESOURCE_SCOPES ? { scope: toList(process.env.OIDC_TEST_RESOURCE_SCOPES) } : {}),
          }
        : undefined,
    clients: [
      {
        client_id: process.env.OIDC_TEST_CLIENT_ID || 'portcullis',
        client_secret: process.env.OIDC_TEST_CLIENT_SECRET || 'portcullis-secret',
        redirect_uris: redirectUris,
      },
    ],
  });
  console.log(`oidc server ready at ${issuer}`);

  const shutdown = (signal) => {
    close().then(
      () => process.exit(0),
      (err) => {
        console.error(`[oidc] error while closing on ${signal}:`, err);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
