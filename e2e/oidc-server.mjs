/**
 * Minimal, real OpenID Connect provider for end-to-end sign-in tests,
 * built on `oidc-provider` (v9). Everything is in memory: keys, sessions,
 * grants and codes are gone when the process exits.
 *
 *   node e2e/oidc-server.mjs
 *     OIDC_TEST_PORT            default 3210   (issuer = http://localhost:<port>)
 *     OIDC_TEST_CLIENT_ID       default "portcullis"
 *     OIDC_TEST_CLIENT_SECRET   default "portcullis-secret"
 *     OIDC_TEST_REDIRECT_URIS   comma-separated,
 *                               default "http://localhost:3100/api/auth/callback/oidc"
 *     OIDC_TEST_FORCE_LOGIN     default "1"; "0" lets an existing IdP session
 *                               sign the user in again without the login page
 *   prints "oidc server ready at <issuer>" once listening; exits on SIGTERM/SIGINT.
 *
 * Programmatic use:
 *   const { issuer, close } = await startOidcServer({ port, clients, accounts });
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
 * @returns {Promise<{ issuer: string, close: () => Promise<void>, provider: object }>}
 */
export async function startOidcServer({
  port = 3210,
  host,
  clients,
  accounts = DEFAULT_ACCOUNTS,
  forceLogin = true,
} = {}) {
  const { Provider, interactionPolicy } = await loadOidcProvider();
  const issuer = `http://localhost:${port}`;

  if (!Array.isArray(clients) || clients.length === 0) {
    throw new TypeError('startOidcServer: at least one client is required');
  }

  const accountIds = new Set(Object.keys(accounts));

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

  const provider = new Provider(issuer, {
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
      // Not needed by Auth.js; off keeps the discovery doc and tokens simple.
      resourceIndicators: { enabled: false },
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
      await grant.save();
      return grant;
    },

    pkce: { required: () => false }, // S256 is used when sent (Auth.js sends it)

    // explicit TTLs (the defaults log "you SHOULD change it" notices)
    ttl: {
      AccessToken: 60 * 60,
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
  });

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
        if (details.prompt.name !== 'login') {
          // consent is auto-granted in loadExistingGrant; should not happen
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

  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', issuer);
    const match = /^\/interaction\/([^/]+)(?:\/(login|abort))?\/?$/.exec(pathname);
    if (match) {
      void handleInteraction(req, res, match[1], match[2]);
      return;
    }
    oidcCallback(req, res);
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

  return { issuer, close, provider };
}

// --- CLI --------------------------------------------------------------------

const isMain = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;

if (isMain) {
  const port = Number(process.env.OIDC_TEST_PORT || 3210);
  const redirectUris = (process.env.OIDC_TEST_REDIRECT_URIS || 'http://localhost:3100/api/auth/callback/oidc')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

  const { issuer, close } = await startOidcServer({
    port,
    forceLogin: process.env.OIDC_TEST_FORCE_LOGIN !== '0',
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
