/**
 * Adopting a laptop's stdio MCP server: the commands that move it behind the portal, built from
 * its configuration as a laptop scan reported it (command, arguments, environment variable names).
 *
 * - `npx portcullis bridge [--portal URL] --name <slug> -- <command> [args…]` runs it unchanged
 *   behind an endpoint only the portal can call (docs/bridge.md); it prints `url`.
 * - `npx portcullis new-server <slug>` scaffolds a Workers server to move its tools into.
 *
 * No secret ever reaches the output. The scan report is redacted on the laptop, but a report is
 * input from outside (anyone with a token can post one), so the arguments are redacted again here
 * with the scan's own rules; every redacted value becomes a placeholder named after what held it
 * (`--api-key [redacted]` → `<API_KEY>`, `Authorization: [redacted]` → `<AUTHORIZATION>`, URL
 * userinfo → `<URL_CREDENTIALS>`), and environment variables — whose values a report never holds —
 * are listed by name with a placeholder each. Every argument is quoted for a POSIX shell, so a
 * crafted command line cannot run anything but itself when the command is pasted.
 */
import { REDACTED, redactArgs } from "./redact";
import { looksSecret } from "@core/net/redact-url";

/** The bridge's own default port (scripts/bridge.mjs): its URL is then `http://127.0.0.1:8790/mcp`. */
export const BRIDGE_DEFAULT_PORT = 8790;
/** The portal the bridge trusts when not told otherwise (scripts/bridge.mjs `--portal`). */
export const BRIDGE_DEFAULT_PORTAL = "http://localhost:8787";

export interface StdioConfiguration {
  /** The name the client config gave it ("github"). */
  name: string;
  command: string;
  args: readonly string[];
  /** Names of the environment variables its config sets (values are never in a scan report). */
  envNames: readonly string[];
}

export interface AdoptionPlan {
  name: string;
  slug: string;
  /** What the bridge prints and the registration names. */
  url: string;
  /** `export NAME='<NAME>'` for each environment variable the server reads (the bridge passes its environment on). */
  setup: string[];
  /** The bridge command line, ready to paste once the placeholders are filled in. */
  bridge: string;
  /** The alternative: a Workers server to move its tools into. */
  newServer: string;
  /** Environment variables its configuration sets, valid names only. */
  env: string[];
  /** Every placeholder in `setup` and `bridge`, without brackets (`GITHUB_TOKEN`). */
  placeholders: string[];
  /** The configured command line with placeholders, for the registry's description. */
  commandLine: string;
}

/** Lowercase letters, digits and hyphens, 2–40 characters: a registry slug from a name. */
export function slugFor(name: string): string {
  const slug = name.toLowerCase().replace(/^@[^/]+\//, "").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "");
  return slug.length >= 2 ? slug : `bridged-${slug || "server"}`;
}

/** One argument for a POSIX shell: as is when it holds only safe characters, else single-quoted. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, "'\\''")}'`;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `--api-key` → `API_KEY`, `X-Api-Key` → `X_API_KEY`, `accessToken` → `ACCESS_TOKEN`; "" when nothing is left. */
function placeholderName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 64);
}

/** Hands out placeholders: one per name; unnamed secrets are SECRET, SECRET_2… */
class Placeholders {
  readonly used: string[] = [];
  private unnamed = 0;

  of(name: string | undefined): string {
    let id = name ? placeholderName(name) : "";
    if (!id || /^\d/.test(id)) id = this.unnamed++ === 0 ? "SECRET" : `SECRET_${this.unnamed}`;
    if (!this.used.includes(id)) this.used.push(id);
    return `<${id}>`;
  }
}

/** The name that held a redacted value inside a URL: `api_key=[redacted]` → api_key; userinfo → URL_CREDENTIALS. */
function urlPlaceholders(arg: string, names: Placeholders): string {
  return arg
    .replace(/(:\/\/)\[redacted\]@/g, (_, scheme: string) => `${scheme}${names.of("URL_CREDENTIALS")}@`)
    .replace(/([?&])([^=&#]+)=\[redacted\]/g, (_, sep: string, key: string) => `${sep}${key}=${names.of(key)}`)
    .replaceAll(REDACTED, () => names.of(undefined));
}

/** One redacted argument with its markers replaced by placeholders named from the argument or the flag before it. */
function withPlaceholders(arg: string, previous: string | undefined, names: Placeholders): string {
  if (!arg.includes(REDACTED)) return arg;
  if (arg === REDACTED) return names.of(previous && /^--?[A-Za-z]/.test(previous) && !["--header", "-H", "--headers"].includes(previous) ? previous.replace(/^-+/, "") : undefined);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) return urlPlaceholders(arg, names);
  const assignment = /^(--?)?([A-Za-z_][\w.-]*)(=|: )\[redacted\]$/.exec(arg);
  if (assignment?.[2]) return `${assignment[1] ?? ""}${assignment[2]}${assignment[3]}${names.of(assignment[2])}`;
  const flagUrl = /^(--?[A-Za-z][\w.-]*=|[A-Za-z_]\w*=)(.*)$/s.exec(arg);
  if (flagUrl?.[1] && flagUrl[2] !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(flagUrl[2])) return flagUrl[1] + urlPlaceholders(flagUrl[2], names);
  return urlPlaceholders(arg, names);
}

/**
 * The commands that adopt one stdio server. `portal` is the portal's public URL (whose proofs the
 * bridge must accept), left out of the command when it is the bridge's default.
 */
export function adoptionPlan(config: StdioConfiguration, options: { portal?: string } = {}): AdoptionPlan {
  const names = new Placeholders();
  const env = [...new Set(config.envNames.filter((n) => ENV_NAME.test(n)))];
  for (const n of env) names.of(n);
  // Redacted again: idempotent on a report the scan CLI made, and the guard for one it did not.
  const redacted = redactArgs(config.args).args;
  const args = redacted.map((arg, i) => withPlaceholders(arg, redacted[i - 1], names));
  const command = looksSecret(config.command) ? names.of(undefined) : config.command.trim();
  const name = config.name.trim() || command;
  const slug = slugFor(name);
  const portal = options.portal && options.portal.replace(/\/+$/, "") !== BRIDGE_DEFAULT_PORTAL ? options.portal.replace(/\/+$/, "") : null;
  const child = [command, ...args].map(shellQuote).join(" ");
  return {
    name,
    slug,
    url: `http://127.0.0.1:${BRIDGE_DEFAULT_PORT}/mcp`,
    setup: env.map((n) => `export ${n}=${shellQuote(`<${n}>`)}`),
    bridge: `npx portcullis bridge${portal ? ` --portal ${shellQuote(portal)}` : ""} --name ${slug} -- ${child}`,
    newServer: `npx portcullis new-server ${slug}`,
    env,
    placeholders: names.used,
    commandLine: child,
  };
}
