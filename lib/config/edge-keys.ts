/**
 * The console's side of the edge: the key that signs config bundles, the secret that seals upstream
 * credentials for the portal, and where the portals are. The files and formats are those of
 * scripts/lib/local-keys.mjs, which `npm start` also uses to hand the public key and the secret to
 * the local Worker — one implementation, so both processes always agree.
 */
import { dataDir } from "@/db/client";
import { resolveEdgeSecret, resolveSigningKey, publicKeySet } from "@/scripts/lib/local-keys.mjs";
import { readAuthSettings } from "@/lib/auth/settings";
import { signingKeyId } from "@core/bundle/sign";
import { parseEdgeSecrets, type EdgeSecret } from "@core/edge/secret";

type Env = Record<string, string | undefined>;

export interface EdgeKeys {
  signing: { privateKeyJwk: JsonWebKey; keyId: string; source: "env" | "file" };
  /** `{ keyId: public JWK }`: what the Worker's `PORTCULLIS_BUNDLE_KEYS` must contain. */
  publicKeys: Record<string, JsonWebKey>;
  edgeSecrets: EdgeSecret[];
}

/** The edge secrets alone (`PORTCULLIS_EDGE_SECRET`, else the local file): what event ingest verifies with. */
export async function edgeSecrets(env: Env = process.env): Promise<EdgeSecret[]> {
  return parseEdgeSecrets(resolveEdgeSecret(env, dataDir(env)).secret);
}

/** Reads (local mode: creates on first use) the signing key and the edge secret. Throws a clear error when misconfigured. */
export async function loadEdgeKeys(env: Env = process.env): Promise<EdgeKeys> {
  const dir = dataDir(env);
  const signing = resolveSigningKey(env, dir);
  const edge = resolveEdgeSecret(env, dir);
  const keyId = await signingKeyId(signing.current);
  return {
    signing: { privateKeyJwk: signing.current, keyId, source: signing.source },
    publicKeys: publicKeySet(signing),
    edgeSecrets: await parseEdgeSecrets(edge.secret),
  };
}

function parseUrlList(value: string, name: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      let url: URL;
      try {
        url = new URL(s);
      } catch {
        throw new Error(`${name}: "${s}" is not a URL`);
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`${name}: "${s}" must be an http:// or https:// URL`);
      return url.href.replace(/\/+$/, "");
    });
}

/**
 * Where publishing pushes bundles: `PORTCULLIS_PORTAL_URLS` (comma-separated; set but empty means
 * none). Local mode defaults to the Worker `npm start` runs on loopback. These are the operator's
 * own endpoints, not user input, so the push does not go through the upstream SSRF guard.
 */
export function portalUrls(env: Env = process.env): string[] {
  const value = env.PORTCULLIS_PORTAL_URLS;
  if (value !== undefined) return parseUrlList(value, "PORTCULLIS_PORTAL_URLS");
  return readAuthSettings(env).mode === "local" ? ["http://127.0.0.1:8787"] : [];
}

/** The portal URL AI clients connect to (shown on the Portal page). */
export function portalPublicUrl(env: Env = process.env): string {
  const value = env.PORTCULLIS_PORTAL_PUBLIC_URL?.trim();
  return value ? (parseUrlList(value, "PORTCULLIS_PORTAL_PUBLIC_URL")[0] ?? "http://localhost:8787") : "http://localhost:8787";
}

/** The bundle's `issuer`: the console's public origin when known. */
export function bundleIssuer(env: Env = process.env): string {
  if (env.AUTH_URL) {
    try {
      return new URL(env.AUTH_URL).origin;
    } catch {
      // An invalid AUTH_URL is reported by Auth.js; the issuer is only a label.
    }
  }
  return `http://localhost:${env.PORT || "3000"}`;
}
