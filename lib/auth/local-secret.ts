import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { dataDir } from "@/db/client";

export const AUTH_SECRET_FILE = "auth-secret";

/**
 * Local mode keeps its own session secret under the data folder, made on first start, so
 * `npm start` needs no manual step. Production sets AUTH_SECRET explicitly.
 */
export function ensureAuthSecret(env: Record<string, string | undefined> = process.env): void {
  if (env.AUTH_SECRET) return;
  const file = path.join(dataDir(env), AUTH_SECRET_FILE);
  let secret: string;
  try {
    secret = readFileSync(file, "utf8").trim();
  } catch {
    secret = randomBytes(32).toString("base64url");
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, secret + "\n", { mode: 0o600, flag: "wx" });
  }
  env.AUTH_SECRET = secret;
}
