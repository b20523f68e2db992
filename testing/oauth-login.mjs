/**
 * Signs in at the test IdP (testing/servers/oidc-server.mjs) without a browser: plain fetch and a cookie jar.
 *
 *   const callback = await completeAuthorization(authorizationUrl, { login: "alice" });
 *   callback.searchParams.get("code"), callback.searchParams.get("state")
 *
 * GETs the authorization URL, follows the redirects to the login page, posts the login name, and keeps
 * following redirects (and oidc-provider's self-submitting "Submitting Callback" forms, if any) until the
 * IdP redirects somewhere off its own origin: that URL (the client's redirect_uri with `code`, `state`
 * and `iss`, or with `error`) is returned, NOT fetched. The IdP's origin is the authorization URL's.
 * Every call starts with an empty cookie jar, i.e. a fresh IdP session.
 * Throws when the login name is refused or the IdP shows an error page.
 */

const MAX_STEPS = 20;

const decodeHtml = (value) =>
  value.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, entity) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", "#x27": "'" })[entity]);

const attribute = (tag, name) => {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, "i").exec(tag);
  return match ? decodeHtml(match[1] ?? match[2] ?? match[3]) : undefined;
};

/** The page's POST forms: action and the inputs that carry a value (hidden ones, prefilled text). */
function postForms(html) {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)]
    .filter(([, attrs]) => (attribute(attrs, "method") ?? "get").toLowerCase() === "post")
    .map(([, attrs, body]) => ({
      action: attribute(attrs, "action") ?? "",
      fields: [...body.matchAll(/<input\b[^>]*>/gi)]
        .map(([tag]) => [attribute(tag, "name"), attribute(tag, "value") ?? ""])
        .filter(([name]) => name !== undefined),
    }));
}

/** Cookies of one origin, with their paths (oidc-provider scopes its interaction cookies by path). */
function cookieJar() {
  const cookies = new Map(); // `${path}\n${name}` -> { name, value, path }
  return {
    store(response, requestUrl) {
      for (const line of response.headers.getSetCookie()) {
        const [pair, ...attrs] = line.split(";");
        const eq = pair.indexOf("=");
        if (eq < 0) continue;
        const name = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1).trim();
        const options = Object.fromEntries(
          attrs.map((a) => {
            const i = a.indexOf("=");
            return i < 0 ? [a.trim().toLowerCase(), ""] : [a.slice(0, i).trim().toLowerCase(), a.slice(i + 1).trim()];
          }),
        );
        let path = options.path;
        if (!path?.startsWith("/")) path = requestUrl.pathname.replace(/\/[^/]*$/, "") || "/";
        const key = `${path}\n${name}`;
        const expired =
          value === "" || options["max-age"] === "0" || (options.expires !== undefined && Date.parse(options.expires) <= Date.now());
        if (expired) cookies.delete(key);
        else cookies.set(key, { name, value, path });
      }
    },
    header(url) {
      const matching = [...cookies.values()].filter(
        ({ path }) => url.pathname === path || url.pathname.startsWith(path.endsWith("/") ? path : `${path}/`),
      );
      // more specific paths first, as browsers send them
      matching.sort((a, b) => b.path.length - a.path.length);
      return matching.map(({ name, value }) => `${name}=${value}`).join("; ");
    },
  };
}

/**
 * @param {string | URL} authorizationUrl
 * @param {{ login?: string }} [options]
 * @returns {Promise<URL>} the redirect off the IdP's origin (the client's redirect_uri with code and state)
 */
export async function completeAuthorization(authorizationUrl, { login = "alice" } = {}) {
  let url = new URL(authorizationUrl);
  const idpOrigin = url.origin;
  const jar = cookieJar();
  let method = "GET";
  let body;
  let loggedIn = false;

  for (let step = 0; step < MAX_STEPS; step++) {
    if (url.origin !== idpOrigin) throw new Error(`completeAuthorization: refusing to send a request to ${url.origin}`);
    const cookie = jar.header(url);
    const response = await fetch(url, {
      method,
      redirect: "manual",
      headers: {
        accept: "text/html",
        ...(cookie ? { cookie } : {}),
        ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      body,
    });
    jar.store(response, url);

    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const location = response.headers.get("location");
      if (!location) throw new Error(`completeAuthorization: HTTP ${response.status} without Location at ${url}`);
      const next = new URL(location, url);
      if (next.origin !== idpOrigin) return next;
      [url, method, body] = [next, "GET", undefined];
      continue;
    }

    const html = await response.text();
    const forms = postForms(html);
    const loginForm = forms.find((form) => form.fields.some(([name]) => name === "login"));

    if (loginForm && response.status === 401) {
      const alert = /<p role="alert">([\s\S]*?)<\/p>/.exec(html)?.[1];
      throw new Error(`completeAuthorization: login "${login}" refused: ${alert ? decodeHtml(alert) : `HTTP ${response.status}`}`);
    }
    if (!response.ok) {
      const text = html.replace(/<style[\s\S]*?<\/style>|<script[\s\S]*?<\/script>/gi, "").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim();
      throw new Error(`completeAuthorization: HTTP ${response.status} at ${url}: ${decodeHtml(text).slice(0, 500)}`);
    }

    let form;
    if (loginForm) {
      if (loggedIn) throw new Error(`completeAuthorization: the login page came back after signing in as "${login}"`);
      loggedIn = true;
      form = { action: loginForm.action, fields: [...loginForm.fields.filter(([name]) => name !== "login"), ["login", login]] };
    } else if (forms.length === 1 && /document\.forms\[0\]\.submit\(\)/.test(html)) {
      form = forms[0]; // oidc-provider's self-submitting form (e.g. ending the previous session)
    } else {
      throw new Error(`completeAuthorization: unexpected page at ${url}: ${html.slice(0, 500)}`);
    }
    [url, method, body] = [new URL(form.action || url.href, url), "POST", new URLSearchParams(form.fields).toString()];
  }
  throw new Error(`completeAuthorization: more than ${MAX_STEPS} steps without leaving ${idpOrigin}`);
}
