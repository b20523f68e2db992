/**
 * The Worker as deployed, in workerd: built with `wrangler deploy --dry-run` and started with
 * Miniflare on a free port, so its URL (the proofs' audience) is known before it starts.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Miniflare } from "miniflare";

const root = path.resolve(import.meta.dirname, "..");

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Starts the Worker accepting the proofs of the portal at `portalUrl`; `url` is its MCP endpoint. */
export async function runWorker(portalUrl: string): Promise<{ url: string; stop(): Promise<void> }> {
  const outdir = mkdtempSync(path.join(tmpdir(), "mcp-server-build-"));
  execFileSync(process.execPath, [path.join(root, "node_modules", "wrangler", "bin", "wrangler.js"), "deploy", "--dry-run", "--outdir", outdir], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  });
  const config = JSON.parse(readFileSync(path.join(root, "wrangler.jsonc"), "utf8").replace(/^\s*\/\/.*$/gm, "")) as { compatibility_date: string; compatibility_flags: string[] };
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/mcp`;
  const mf = new Miniflare({
    host: "127.0.0.1",
    port,
    modules: true,
    scriptPath: path.join(outdir, "index.js"),
    modulesRoot: outdir,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    bindings: { PORTCULLIS_PORTAL_URL: portalUrl, PORTCULLIS_SERVER_URL: url },
  });
  await mf.ready;
  return {
    url,
    async stop() {
      await mf.dispose();
      rmSync(outdir, { recursive: true, force: true });
    },
  };
}
