import { existsSync, readFileSync } from "node:fs";
import { getDb } from "@/db/client";
import { registerHostedServers } from "./register-hosted-servers";

/** How often, and how long, the console looks for the list of hosted servers (they build and start next to it). */
const POLL_MS = 2_000;
const GIVE_UP_MS = 5 * 60_000;

/**
 * `npm start` with PORTCULLIS_HOSTED_DIR: once scripts/lib/hosted-runner.mjs has started the
 * scaffolded servers and listed them (PORTCULLIS_HOSTED_MANIFEST, written whole), the new ones are
 * requested for registration, pending review (register-hosted-servers.ts). Runs once per start.
 */
export function startHostedRegistration(env: NodeJS.ProcessEnv = process.env): void {
  const manifest = env.PORTCULLIS_HOSTED_MANIFEST;
  if (!manifest) return;
  const started = Date.now();
  const timer = setInterval(() => {
    if (!existsSync(manifest)) {
      if (Date.now() - started > GIVE_UP_MS) {
        clearInterval(timer);
        console.warn(`[portcullis] hosted servers: no list at ${manifest} after ${GIVE_UP_MS / 60_000} min; none registered`);
      }
      return;
    }
    clearInterval(timer);
    void (async () => {
      try {
        const outcomes = await registerHostedServers(await getDb(), JSON.parse(readFileSync(manifest, "utf8")));
        for (const o of outcomes) {
          if (o.outcome === "registered") console.log(`[portcullis] hosted server ${o.name}: registration requested, pending review (Servers → ${o.name})`);
          if (o.outcome === "failed") console.warn(`[portcullis] hosted server ${o.name} could not be registered: ${o.error}`);
        }
      } catch (error) {
        console.warn(`[portcullis] hosted servers: ${manifest} could not be read: ${error instanceof Error ? error.message : String(error)}`);
      }
    })();
  }, POLL_MS);
  timer.unref();
}
