/**
 * Normalized traffic records, parsed from one NDJSON line of either
 * Cloudflare Gateway HTTP Logpush (`gateway_http`) or a generic forward-proxy log.
 *
 * Pure and runtime-neutral. The record is flat and uses "" / 0 / NaN for "absent" rather than
 * optional fields, so every record has the same shape (fast property access in the classifier).
 */

export type TrafficFormat = "cloudflare" | "generic";

export interface TrafficRecord {
  format: TrafficFormat;
  /** Epoch milliseconds; NaN when the line carried no usable time. */
  time: number;
  /** Email (Cloudflare) or `user` (generic); "" when unknown. */
  user: string;
  /** DeviceName, else DeviceID (Cloudflare); "" for generic logs. */
  device: string;
  srcIp: string;
  /** Upper-case HTTP method. */
  method: string;
  /** "https" or "http" (lower-case). */
  scheme: string;
  /** Lower-case host name without port. */
  host: string;
  /** Explicit non-default port, else 0. */
  port: number;
  /** Path as logged (starts with "/"), without query or fragment. */
  path: string;
  /** Query string without "?"; "" when none. */
  query: string;
  /** HTTP status; 0 when unknown. */
  status: number;
  userAgent: string;
  /** Request header MCP-Protocol-Version ("" when absent or not logged). */
  mcpProtocolVersion: string;
  /** Mcp-Session-Id from the request, else from the response ("" when absent). */
  mcpSessionId: string;
  /** Request header Mcp-Method (MCP 2026-07-28 mirrors the body's method in it); "" when absent. */
  mcpMethod: string;
  /** Request Content-Encoding, lower-case ("gzip" also when a base64 body turned out to be gzip bytes). */
  requestContentEncoding: string;
  /** Request Accept and Content-Type headers. */
  accept: string;
  requestContentType: string;
  /** Lower-case response content type ("" when unknown). */
  responseContentType: string;
  /**
   * First bytes of the request body (generic logs only); "" when not captured or not readable
   * (gzip bytes). `request_body_encoding: "base64"` bodies are decoded here.
   */
  bodyPrefix: string;
  /** First bytes of the response body (generic logs that capture it); "" otherwise. */
  responseBodyPrefix: string;
  /** Names of files uploaded in the request (Cloudflare UploadedFileNames). */
  uploadedFiles: readonly string[];
  /** DLP profile entries matched on the request body (Cloudflare). */
  uploadDlpEntries: readonly string[];
  /** DLP profile entries matched on the response body (Cloudflare). */
  downloadDlpEntries: readonly string[];
  /** DLP profile names matched (upload and download). */
  dlpProfiles: readonly string[];
  /** Cloudflare SessionID / RequestID / Action; "" for generic logs. */
  sessionId: string;
  requestId: string;
  action: string;
  bytesOut: number;
  bytesIn: number;
}

export type ParseResult = { ok: true; record: TrafficRecord } | { ok: false; error: string };

const EMPTY: readonly string[] = Object.freeze([]);

/** Which log format a parsed line belongs to, or null when it is neither. */
export function detectFormat(obj: unknown): TrafficFormat | null {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return null;
  const o = obj as Record<string, unknown>;
  if ("HTTPHost" in o || "Datetime" in o || "RequestID" in o || ("URL" in o && "HTTPMethod" in o)) return "cloudflare";
  if ("url" in o || "host" in o || "ts" in o || "request_body_prefix" in o) return "generic";
  return null;
}

/** Parses one NDJSON line. Never throws: bad lines come back as `{ ok: false, error }`. */
export function parseLine(text: string, format?: TrafficFormat): ParseResult {
  if (typeof text !== "string") return { ok: false, error: "line is not text" };
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return { ok: false, error: text.trim() === "" ? "empty line" : "not valid JSON" };
  }
  return parseObject(obj, format);
}

/** Same as parseLine for an already-parsed object. Never throws. */
export function parseObject(obj: unknown, format?: TrafficFormat): ParseResult {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return { ok: false, error: "line is not a JSON object" };
  const fmt = format ?? detectFormat(obj);
  if (fmt === null) return { ok: false, error: "unknown format: neither Cloudflare Gateway HTTP nor generic proxy fields" };
  try {
    return fmt === "cloudflare" ? parseCloudflare(obj as Record<string, unknown>) : parseGeneric(obj as Record<string, unknown>);
  } catch (e) {
    // Defensive: a getter or exotic value must not break ingest of the remaining lines.
    return { ok: false, error: `unparseable record: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function str(v: unknown): string {
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : "";
}

/** Strict text: URL and host fields must be strings, not numbers coerced to a host. */
function text(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function num(v: unknown): number {
  if (typeof v === "number") return Number.isFinite(v) ? v : 0;
  if (typeof v === "string" && v !== "") {
    const n = Number(v);
    return Number.isFinite(n) ? n : 0;
  }
  return 0;
}

function strList(v: unknown): readonly string[] {
  if (Array.isArray(v)) {
    if (v.length === 0) return EMPTY;
    const out: string[] = [];
    for (const x of v) if (typeof x === "string" && x !== "") out.push(x);
    return out;
  }
  if (typeof v === "string" && v !== "") {
    // Some pipelines flatten arrays to "a,b" or to a JSON array string.
    if (v.charCodeAt(0) === 91 /* [ */) {
      try {
        return strList(JSON.parse(v));
      } catch {
        return [v];
      }
    }
    return v.split(",").map((s) => s.trim()).filter(Boolean);
  }
  return EMPTY;
}

const DIGITS = /^\d+(\.\d+)?$/;

/**
 * Logpush emits Datetime as RFC3339 by default, or as unix seconds, unixnano or unixmilli
 * depending on the job's `timestamp_format`; the magnitude tells them apart.
 */
export function parseTime(v: unknown): number {
  if (typeof v === "number") return epochToMs(v);
  if (typeof v !== "string" || v === "") return NaN;
  const c0 = v.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57 && v.length >= 20 && v.charCodeAt(4) === 45 && v.charCodeAt(10) === 84) {
    const fast = utcIsoToMs(v);
    if (!Number.isNaN(fast)) return fast;
  }
  if (DIGITS.test(v)) return epochToMs(Number(v));
  const t = Date.parse(v);
  return Number.isNaN(t) ? NaN : t;
}

/** Where the digits of `YYYY-MM-DDTHH:MM:SS` are. */
const ISO_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.fff…]Z`, the shape nearly every log line has, without Date.parse or a Date
 * (with a Date this was a tenth of the parser's time on generic lines, now about half that).
 * Anything else (offsets, other shapes) is NaN here and goes to Date.parse.
 */
function utcIsoToMs(v: string): number {
  const n = v.length;
  if (v.charCodeAt(n - 1) !== 90 /* Z */ || v.charCodeAt(7) !== 45 || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) return NaN;
  for (let k = 0; k < ISO_DIGITS.length; k++) {
    const x = v.charCodeAt(ISO_DIGITS[k]!) - 48;
    if (x < 0 || x > 9) return NaN;
  }
  const d = (i: number) => v.charCodeAt(i) - 48;
  let ms = 0;
  if (n > 20) {
    if (v.charCodeAt(19) !== 46 /* . */) return NaN;
    let scale = 100;
    for (let i = 20; i < n - 1; i++) {
      const x = d(i);
      if (x < 0 || x > 9) return NaN;
      ms += x * scale;
      scale /= 10;
    }
    ms = Math.floor(ms);
  }
  const year = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3);
  const month = d(5) * 10 + d(6);
  const day = d(8) * 10 + d(9);
  const hour = d(11) * 10 + d(12);
  const minute = d(14) * 10 + d(15);
  const second = d(17) * 10 + d(18);
  // Date.parse refuses 2026-02-30 (Date.UTC would roll it into March), and so does this.
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return NaN;
  return (((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60 + second) * 1000 + ms;
}

function epochToMs(n: number): number {
  if (!Number.isFinite(n) || n < 0) return NaN;
  if (n >= 1e17) return Math.floor(n / 1e6); // nanoseconds
  if (n >= 1e14) return Math.floor(n / 1e3); // microseconds
  if (n >= 1e11) return n; // milliseconds
  return n * 1000; // seconds
}

interface UrlParts {
  scheme: string;
  host: string;
  port: number;
  path: string;
  query: string;
}

/**
 * Splits an absolute or origin-form URL without the cost of `new URL` (hot path). Works with
 * indexes into the URL (or the fallback host) and slices only the parts it returns: a third of
 * the time of slicing scheme, authority and rest first.
 */
function splitUrl(url: string, fallbackHost: string, fallbackScheme: string): UrlParts | null {
  let scheme = fallbackScheme;
  // The authority is a[aStart, aEnd): in the URL, or the fallback host; path, query and fragment are url[restStart…].
  let a = fallbackHost;
  let aStart = 0;
  let aEnd = fallbackHost.length;
  let restStart = 0;
  // The first "?" and "#" at or after restStart (-1: none), -2 until looked for.
  let q = -2;
  let hash = -2;
  const sep = url.indexOf("://");
  if (sep > 0 && sep < 10) {
    scheme = sep === 5 && url.startsWith("https") ? "https" : sep === 4 && url.startsWith("http") ? "http" : url.slice(0, sep).toLowerCase();
    a = url;
    aStart = sep + 3;
    const slash = url.indexOf("/", aStart);
    q = url.indexOf("?", aStart);
    hash = url.indexOf("#", aStart);
    aEnd = slash < 0 ? url.length : slash;
    if (q >= 0 && q < aEnd) aEnd = q;
    if (hash >= 0 && hash < aEnd) aEnd = hash;
    restStart = aEnd;
  } else if (url !== "" && url.charCodeAt(0) !== 47) {
    // host/path without scheme
    const slash = url.indexOf("/");
    a = url;
    aEnd = slash < 0 ? url.length : slash;
    restStart = aEnd;
  }
  // Userinfo ends at the authority's last "@"; a port follows its last ":" unless an IPv6 "]" comes after.
  let hostStart = aStart;
  let hostEnd = aEnd;
  let port = 0;
  const at = a.indexOf("@", aStart);
  if (at >= 0 && at < aEnd) hostStart = a.lastIndexOf("@", aEnd - 1) + 1;
  const anyColon = a.indexOf(":", hostStart);
  if (anyColon >= 0 && anyColon < aEnd) {
    const colon = a.lastIndexOf(":", aEnd - 1);
    const bracket = a.indexOf("]", colon);
    if (colon > hostStart && (bracket < 0 || bracket >= aEnd)) {
      hostEnd = colon;
      port = Number(a.slice(colon + 1, aEnd)) || 0;
    }
  }
  let host = a.slice(hostStart, hostEnd).toLowerCase();
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host === "") return null;
  if (hash === -2) hash = url.indexOf("#", restStart);
  const restEnd = hash >= 0 ? hash : url.length;
  if (q === -2) q = url.indexOf("?", restStart);
  if (q >= restEnd) q = -1;
  let path = url.slice(restStart, q >= 0 ? q : restEnd);
  const query = q >= 0 ? url.slice(q + 1, restEnd) : "";
  if (path === "") path = "/";
  if ((scheme === "https" && port === 443) || (scheme === "http" && port === 80)) port = 0;
  return { scheme, host, port, path, query };
}

function parseCloudflare(o: Record<string, unknown>): ParseResult {
  const url = text(o.URL);
  const hostField = text(o.HTTPHost);
  if (url === "" && hostField === "") return { ok: false, error: "missing URL and HTTPHost" };
  const destPort = num(o.DestinationPort);
  const parts = splitUrl(url, hostField, destPort === 80 ? "http" : "https");
  if (parts === null) return { ok: false, error: "URL has no host" };
  if (parts.port === 0 && destPort !== 0 && destPort !== 80 && destPort !== 443) parts.port = destPort;
  const uploadProfiles = strList(o.UploadMatchedDlpProfiles);
  const downloadProfiles = strList(o.DownloadMatchedDlpProfiles);
  return {
    ok: true,
    record: {
      format: "cloudflare",
      time: parseTime(o.Datetime),
      user: str(o.Email) || str(o.UserID),
      device: str(o.DeviceName) || str(o.DeviceID),
      srcIp: str(o.SourceIP),
      method: str(o.HTTPMethod).toUpperCase(),
      scheme: parts.scheme,
      host: parts.host,
      port: parts.port,
      path: parts.path,
      query: parts.query,
      status: num(o.HTTPStatusCode),
      userAgent: str(o.UserAgent),
      mcpProtocolVersion: "",
      mcpSessionId: "",
      mcpMethod: "",
      requestContentEncoding: "",
      accept: "",
      requestContentType: "",
      responseContentType: "",
      bodyPrefix: "",
      responseBodyPrefix: "",
      uploadedFiles: strList(o.UploadedFileNames),
      uploadDlpEntries: strList(o.UploadMatchedDlpProfileEntries),
      downloadDlpEntries: strList(o.DownloadMatchedDlpProfileEntries),
      dlpProfiles: downloadProfiles.length === 0 ? uploadProfiles : uploadProfiles.concat(downloadProfiles),
      sessionId: str(o.SessionID),
      requestId: str(o.RequestID),
      action: str(o.Action),
      bytesOut: 0,
      bytesIn: 0,
    },
  };
}

interface WantedHeaders {
  userAgent: string;
  mcpProtocolVersion: string;
  mcpSessionId: string;
  mcpMethod: string;
  accept: string;
  contentType: string;
  contentEncoding: string;
}

/**
 * One pass over a header object, any name case. Names are compared by length first so that only
 * candidate names are lower-cased (hot path: one record per log line).
 */
function readHeaders(h: unknown, into: WantedHeaders): void {
  if (h === null || typeof h !== "object" || Array.isArray(h)) return;
  const o = h as Record<string, unknown>;
  for (const k in o) {
    const n = k.length;
    if (n !== 6 && n !== 10 && n !== 12 && n !== 14 && n !== 16 && n !== 20) continue;
    let v = o[k];
    if (Array.isArray(v)) v = v[0];
    if (typeof v !== "string") continue;
    const lk = k.toLowerCase();
    if (n === 6) {
      if (lk === "accept") into.accept = v;
    } else if (n === 10) {
      if (lk === "user-agent") into.userAgent = v;
      else if (lk === "mcp-method") into.mcpMethod = v.trim();
    } else if (n === 12) {
      if (lk === "content-type") into.contentType = v;
    } else if (n === 14) {
      if (lk === "mcp-session-id") into.mcpSessionId = v;
    } else if (n === 16) {
      if (lk === "content-encoding") into.contentEncoding = v.trim().toLowerCase();
    } else if (lk === "mcp-protocol-version") into.mcpProtocolVersion = v.trim();
  }
}

function parseGeneric(o: Record<string, unknown>): ParseResult {
  const url = text(o.url);
  const hostField = text(o.host);
  if (url === "" && hostField === "") return { ok: false, error: "missing url and host" };
  const parts = splitUrl(url, hostField, "https");
  if (parts === null) return { ok: false, error: "url has no host" };
  const req: WantedHeaders = { userAgent: "", mcpProtocolVersion: "", mcpSessionId: "", mcpMethod: "", accept: "", contentType: "", contentEncoding: "" };
  readHeaders(o.request_headers, req);
  const res: WantedHeaders = { userAgent: "", mcpProtocolVersion: "", mcpSessionId: "", mcpMethod: "", accept: "", contentType: "", contentEncoding: "" };
  readHeaders(o.response_headers, res);
  let body = text(o.request_body_prefix);
  let encoding = req.contentEncoding;
  if (body !== "" && o.request_body_encoding === "base64") {
    body = fromBase64Prefix(body);
    // gzip bytes (1f 8b) cannot be read without inflating: the body is then unreadable, the encoding known.
    if (body.charCodeAt(0) === 0x1f && body.charCodeAt(1) === 0x8b) {
      body = "";
      encoding ||= "gzip";
    }
  } else if (body.charCodeAt(0) === 0x1f) body = ""; // gzip bytes logged as text
  return {
    ok: true,
    record: {
      format: "generic",
      time: parseTime(o.ts),
      user: str(o.user),
      device: "",
      srcIp: str(o.src_ip),
      method: str(o.method).toUpperCase(),
      scheme: parts.scheme,
      host: parts.host,
      port: parts.port,
      path: parts.path,
      query: parts.query,
      status: num(o.status),
      userAgent: req.userAgent,
      mcpProtocolVersion: req.mcpProtocolVersion,
      mcpSessionId: req.mcpSessionId || res.mcpSessionId,
      mcpMethod: req.mcpMethod,
      requestContentEncoding: encoding,
      accept: req.accept,
      requestContentType: req.contentType,
      responseContentType: (text(o.response_content_type) || res.contentType).toLowerCase(),
      bodyPrefix: body,
      responseBodyPrefix: text(o.response_body_prefix),
      uploadedFiles: EMPTY,
      uploadDlpEntries: EMPTY,
      downloadDlpEntries: EMPTY,
      dlpProfiles: EMPTY,
      sessionId: "",
      requestId: "",
      action: "",
      bytesOut: num(o.bytes_out),
      bytesIn: num(o.bytes_in),
    },
  };
}

/**
 * A base64 body prefix as bytes in a "binary" string (one char per byte: JSON's ASCII reads as is).
 * A prefix cut mid-quantum is decoded up to its last whole quantum; invalid base64 gives "".
 */
function fromBase64Prefix(b64: string): string {
  const s = b64.length % 4 === 0 ? b64 : b64.slice(0, b64.length - (b64.length % 4));
  try {
    return atob(s);
  } catch {
    return "";
  }
}

/** `scheme://host[:port]` of a record. */
export function recordOrigin(r: Pick<TrafficRecord, "scheme" | "host" | "port">): string {
  return r.port === 0 ? `${r.scheme}://${r.host}` : `${r.scheme}://${r.host}:${r.port}`;
}
