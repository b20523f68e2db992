// Pieces of `npm start` (scripts/start.mjs) kept apart so they can be tested without starting it:
// the origin it prints and hands to the portal, and the `wrangler dev` command line, which carries
// no secret (`ps` shows every command line to every user of the machine).
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * The console's origin as a person opens it: AUTH_URL's when set, else `localhost` for a loopback or
 * all-interfaces listener, the same host name as the portal's (http://localhost:8787), so a sign-in
 * made on the console is the one the portal's OAuth sends the browser back to (cookies are per host
 * name: 127.0.0.1 and localhost do not share them).
 */
export function consoleOriginFor({ host, port, authUrl }) {
  if (authUrl) return new URL(authUrl).origin;
  const name = host === "127.0.0.1" || host === "0.0.0.0" || host === "localhost" ? "localhost" : host.includes(":") ? `[${host}]` : host;
  return `http://${name}:${port}`;
}

/**
 * `wrangler dev`'s arguments for the portal Worker. Public vars go on the command line (`--var`);
 * secrets never do: they go in `secretsFile`, which wrangler reads as its `--env-file` (dotenv
 * format; see writeSecretsFile).
 */
export function wranglerDevArgs({ wranglerCli, config, port, persistTo, vars, secretsFile }) {
  return [
    "--no-warnings",
    "--experimental-vm-modules",
    wranglerCli,
    "dev",
    "--config", config,
    "--ip", "127.0.0.1",
    "--port", port,
    "--persist-to", persistTo,
    "--show-interactive-dev-session=false",
    "--env-file", secretsFile,
    ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
  ];
}

/**
 * Writes `secrets` ({ NAME: value }) to `file` in dotenv format, readable by this user only. Values
 * must be single-line and free of quotes (the edge secret is base64url).
 */
export function writeSecretsFile(file, secrets) {
  const lines = Object.entries(secrets).map(([name, value]) => {
    if (!/^[A-Za-z0-9_.~+/=-]*$/.test(value)) throw new Error(`${name} cannot be written to a dotenv file as it is`);
    return `${name}=${value}\n`;
  });
  // A new file each time: `mode` applies only when the file is created.
  rmSync(file, { force: true });
  writeFileSync(file, lines.join(""), { mode: 0o600 });
}

/** Where start.mjs keeps wrangler dev's secrets file: with wrangler's other local state. */
export function wranglerSecretsFile(dataDir) {
  return path.join(dataDir, "wrangler", "portal-secrets.env");
}

/**
 * wrangler's environment for `npm start`: no request to Cloudflare for the `cf` object, no metrics,
 * and no banner. The banner runs an update check against the npm registry and says "update
 * available", which nobody here can act on: the project pins wrangler 4.86.0, the last to run on
 * Node 20.
 */
export function wranglerEnv(env, logPath) {
  return { ...env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", WRANGLER_LOG_PATH: env.WRANGLER_LOG_PATH ?? logPath };
}

/**
 * V8 flags of the console's Node process. Semi-spaces of 64 MB for the young generation (16 by
 * default): ingest holds each delivery's objects for the ~300 ms its group gathers and commits, which
 * outlived the default young generation's collections, so they were copied to the old generation and
 * collected there at several times the cost. With it the console spent 12–43 % less CPU per ingested event, and took
 * 5–33 % more events/s (bench/events/README.md). It costs up to about 150 MB more memory under load. The
 * events benchmark runs with the same flags, since it measures the console's ingest in its own process.
 */
export const CONSOLE_NODE_FLAGS = ["--max-semi-space-size=64"];
