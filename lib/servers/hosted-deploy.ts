import { shellQuote } from "@core/laptop-scan/adopt";

/** Where a hosted server runs, from its registered URL: on this machine next to the portal, or deployed. */
export function hostedDeployState(url: string): "local" | "deployed" {
  const host = new URL(url).hostname;
  return host === "127.0.0.1" || host === "localhost" || host === "[::1]" ? "local" : "deployed";
}

/**
 * The commands that deploy a hosted server (made by `npx portcullis new-server`) to Cloudflare:
 * wrangler deploy with the portal whose proofs it accepts, and the URL it will answer on, which is
 * the proofs' audience (the template's README, "Deploy to Cloudflare"). Its workers.dev subdomain is
 * the account's: `<ACCOUNT_SUBDOMAIN>` is left for the person to fill in.
 */
export function hostedDeployCommands(input: { dir: string; name: string; portalUrl: string }): string[] {
  const serverUrl = `https://${input.name}.<ACCOUNT_SUBDOMAIN>.workers.dev/mcp`;
  return [
    `cd ${shellQuote(input.dir)}`,
    "npx wrangler login",
    `npx wrangler deploy --var ${shellQuote(`PORTCULLIS_PORTAL_URL:${input.portalUrl}`)} --var ${shellQuote(`PORTCULLIS_SERVER_URL:${serverUrl}`)}`,
  ];
}
