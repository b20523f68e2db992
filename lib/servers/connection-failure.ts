/**
 * A failed connection to an MCP server, in words a person can act on: what happened (the name did
 * not resolve, nothing listens on the port, TLS failed, the URL answered but not as MCP, it wants
 * sign-in, the SSRF guard refused it) and what to do about it. Registration, sync and the API all
 * show this text; the error code beside it is for programs.
 */

export type ConnectionFailureCode = "UPSTREAM_UNREACHABLE" | "UPSTREAM_NOT_MCP" | "UPSTREAM_AUTH_FAILED" | "UPSTREAM_TIMEOUT" | "UPSTREAM_ADDRESS_REFUSED";

/** What the URL answered over HTTP, when it answered at all. */
export interface HttpAnswer {
  status: number;
  contentType: string | null;
  wwwAuthenticate: string | null;
}

export interface ConnectionFailure {
  code: ConnectionFailureCode;
  message: string;
}

const DNS_CODES = new Set(["ENOTFOUND", "EAI_NONAME", "EAI_NODATA", "EAI_FAIL"]);
const TLS_HANDSHAKE = /^(EPROTO|ERR_SSL_|ERR_TLS_|ECONNRESET_TLS)/;
const TLS_CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET_ISSUER)|ERR_TLS_CERT_ALTNAME_INVALID/;
const TIMEOUT_CODES = new Set(["ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/** The first system error code (ECONNREFUSED, ENOTFOUND…) on the error or its causes. */
export function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z][A-Z0-9_]+$/.test(code) && !code.startsWith("UPSTREAM_")) return code;
  }
  return undefined;
}

/** "host:port" as a person would type it, the default port included so "connection refused" says which. */
function hostPort(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`;
}

const mediaType = (contentType: string | null) => contentType?.split(";")[0]?.trim().toLowerCase() || null;

/** The HTTP answer in a few words: "HTTP 200 with text/html (a web page)". */
function answered(answer: HttpAnswer): string {
  const type = mediaType(answer.contentType);
  const kind = type === "text/html" ? " (a web page)" : "";
  return `HTTP ${answer.status}${type ? ` with ${type}${kind}` : " with no content type"}`;
}

const TRY_ENDPOINT = "Check that the URL is the server's MCP endpoint (it often ends in /mcp, or /sse for older servers), not its website or API root.";

/**
 * Describes a network-level failure (no HTTP answer): DNS, refused, reset, unreachable, TLS, timeout.
 * Null when the error carries no code this knows.
 */
function describeNetworkFailure(target: string, error: unknown): ConnectionFailure | null {
  const url = new URL(target);
  const code = networkCode(error);
  if (!code) return null;
  if (DNS_CODES.has(code)) {
    return { code: "UPSTREAM_UNREACHABLE", message: `The host name "${url.hostname}" did not resolve (DNS lookup failed: ${code}). Check the URL for a typo, and that the name exists in the DNS the console uses.` };
  }
  if (code === "EAI_AGAIN") {
    return { code: "UPSTREAM_UNREACHABLE", message: `The host name "${url.hostname}" could not be looked up just now (DNS did not answer: EAI_AGAIN). Try again in a moment; if it persists, check the console's DNS settings.` };
  }
  if (code === "ECONNREFUSED") {
    return { code: "UPSTREAM_UNREACHABLE", message: `Nothing is listening at ${hostPort(url)} (connection refused). Check the port in the URL, and that the server is running.` };
  }
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") {
    return { code: "UPSTREAM_UNREACHABLE", message: `There is no network route from the console to ${url.hostname} (${code}). Check the address, and that the console's network may reach it.` };
  }
  if (TIMEOUT_CODES.has(code)) {
    return { code: "UPSTREAM_TIMEOUT", message: `${hostPort(url)} did not accept the connection in time (${code}). Check that the server is running and that no firewall drops the traffic.` };
  }
  if (TLS_CERTIFICATE.test(code)) {
    return { code: "UPSTREAM_UNREACHABLE", message: `The TLS certificate of ${url.hostname} is not trusted (${code}). The server needs a valid certificate for this host name from a trusted authority.` };
  }
  if (TLS_HANDSHAKE.test(code)) {
    return {
      code: "UPSTREAM_UNREACHABLE",
      message: `The TLS handshake with ${hostPort(url)} failed (${code}). If the server speaks plain HTTP on this port, use an http:// URL; otherwise check its TLS setup.`,
    };
  }
  if (code === "ECONNRESET" || code === "EPIPE" || code === "UND_ERR_SOCKET") {
    return {
      code: "UPSTREAM_UNREACHABLE",
      message: `${hostPort(url)} closed the connection without answering (${code}). Check that the URL's scheme (http or https) and port are right, and that the server is running.`,
    };
  }
  return { code: "UPSTREAM_UNREACHABLE", message: `Could not connect to ${hostPort(url)} (${code}). Check the URL, and that the server is running and reachable from the console.` };
}

/**
 * Describes an HTTP answer that is not MCP: sign-in wanted (401 + WWW-Authenticate), credentials
 * refused, not found at any path tried, a server error, or another kind of content.
 */
function describeHttpAnswer(target: string, answer: HttpAnswer, options: { credentialsSent: boolean; pathsTried?: string[] }): ConnectionFailure {
  if (answer.status === 401) {
    const challenge = answer.wwwAuthenticate ? `; it asks for ${answer.wwwAuthenticate.split(/[\s,]/)[0]} authentication` : "";
    return options.credentialsSent
      ? { code: "UPSTREAM_AUTH_FAILED", message: `${target} refused the credentials (HTTP 401${challenge}). Check the token or headers, or choose OAuth if the server signs people in with it.` }
      : { code: "UPSTREAM_AUTH_FAILED", message: `${target} needs sign-in (HTTP 401${challenge}). Choose the authentication it expects (a bearer token, custom headers or OAuth) and try again.` };
  }
  if (answer.status === 403) {
    return { code: "UPSTREAM_AUTH_FAILED", message: `${target} refused access (HTTP 403). The credentials are valid but lack permission: check the token's scopes or the account's access on that server.` };
  }
  if (answer.status === 404 || answer.status === 405 || answer.status === 406) {
    const where = options.pathsTried && options.pathsTried.length > 1 ? ` at every path tried (${options.pathsTried.join(", ")})` : "";
    return { code: "UPSTREAM_NOT_MCP", message: `${target} answered ${answered(answer)}${where}: there is no MCP endpoint there. ${TRY_ENDPOINT}` };
  }
  if (answer.status >= 500) {
    return { code: "UPSTREAM_NOT_MCP", message: `${target} answered ${answered(answer)}: the server failed. Try again later, or check the server's logs.` };
  }
  if (answer.status >= 200 && answer.status < 300) {
    return {
      code: "UPSTREAM_NOT_MCP",
      message: `${target} answered ${answered(answer)}, not MCP (an MCP server answers with application/json or text/event-stream). ${TRY_ENDPOINT}`,
    };
  }
  return { code: "UPSTREAM_NOT_MCP", message: `${target} answered ${answered(answer)}, not MCP. ${TRY_ENDPOINT}` };
}

/**
 * The one description of a failed connection: the guard's refusal as it is (it names the range and
 * the setting that allows it), else what the URL answered over HTTP, else the network error; the
 * error's own text only when none of these applies.
 */
export function describeConnectionFailure(
  target: string,
  failure: { error?: unknown; answer?: HttpAnswer; credentialsSent: boolean; pathsTried?: string[] },
): ConnectionFailure {
  const { error, answer } = failure;
  if ((error as { code?: unknown } | undefined)?.code === "UPSTREAM_ADDRESS_REFUSED") {
    return { code: "UPSTREAM_ADDRESS_REFUSED", message: `Blocked by the upstream address guard (SSRF protection). ${(error as Error).message}` };
  }
  if (answer) return describeHttpAnswer(target, answer, failure);
  const network = describeNetworkFailure(target, error);
  if (network) return network;
  const text = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").slice(0, 300);
  return { code: "UPSTREAM_NOT_MCP", message: `${target} did not complete the MCP handshake: ${text}. ${TRY_ENDPOINT}` };
}
