import type { ConfigStore } from "./config-store";

/** Every binding the portal Worker uses (wrangler.jsonc). */
export interface Env {
  /** One Durable Object instance ("active") holds the last good signed bundle. */
  CONFIG: DurableObjectNamespace<ConfigStore>;
  /** JSON `{ "<keyId>": <public JWK> }`: the console keys whose signatures the portal trusts. */
  PORTCULLIS_BUNDLE_KEYS: string;
}
