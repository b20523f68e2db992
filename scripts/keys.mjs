#!/usr/bin/env node
// `npm run keys -- print | rotate | new-edge-secret`: the keys the console and the portal Worker share.
//   print            the Worker's PORTCULLIS_BUNDLE_KEYS value, the signing key id, and how to set the edge secret
//   rotate           a new bundle signing key; the old public key stays listed for the transition
//   new-edge-secret  a fresh value for PORTCULLIS_EDGE_SECRET (production)
// Same sources as the console (scripts/lib/local-keys.mjs): PORTCULLIS_BUNDLE_SIGNING_KEY and
// PORTCULLIS_EDGE_SECRET when set, else the files under $PORTCULLIS_DATA_DIR (default .data).
import {
  generateEdgeSecret,
  generateSigningKey,
  keyIdOf,
  localDataDir,
  publicJwkOf,
  publicKeySet,
  resolveEdgeSecret,
  resolveSigningKey,
  rotateLocalSigningKey,
} from "./lib/local-keys.mjs";

const WRANGLER_CONFIG = "workers/portal/wrangler.jsonc";
const command = process.argv[2] ?? "print";
const dir = localDataDir();

function edgeSecretHelp() {
  const edge = resolveEdgeSecret(process.env, dir);
  const source = edge.source === "env" ? 'printf %s "$PORTCULLIS_EDGE_SECRET"' : `tr -d '\\n' < ${edge.file}`;
  return [
    `Edge secret (${edge.source === "env" ? "PORTCULLIS_EDGE_SECRET" : edge.file}): the Worker needs the same value, as a secret:`,
    `  ${source} | npx wrangler secret put PORTCULLIS_EDGE_SECRET --config ${WRANGLER_CONFIG}`,
  ].join("\n");
}

function print() {
  const keys = resolveSigningKey(process.env, dir);
  const set = JSON.stringify(publicKeySet(keys));
  console.log(`Bundle signing key: ${keys.source === "env" ? "PORTCULLIS_BUNDLE_SIGNING_KEY" : keys.file}`);
  console.log(`Key id: ${keyIdOf(keys.current)}${keys.previous.length ? ` (also trusted: ${keys.previous.map(keyIdOf).join(", ")})` : ""}`);
  console.log("");
  console.log("PORTCULLIS_BUNDLE_KEYS for the Worker (a plain variable: public keys only):");
  console.log(set);
  console.log(`  in ${WRANGLER_CONFIG} "vars", or: npx wrangler deploy --config ${WRANGLER_CONFIG} --var 'PORTCULLIS_BUNDLE_KEYS:${set}'`);
  console.log("");
  console.log(edgeSecretHelp());
}

function rotate() {
  const before = resolveSigningKey(process.env, dir);
  if (before.source === "env") {
    // Production: the console's key lives in its environment, so the new one is printed, not stored.
    const next = generateSigningKey();
    const set = JSON.stringify({ [keyIdOf(next)]: publicJwkOf(next), [keyIdOf(before.current)]: publicJwkOf(before.current) });
    console.log(`New signing key id: ${keyIdOf(next)} (replacing ${keyIdOf(before.current)})`);
    console.log("");
    console.log("1. Deploy every Worker trusting both keys, PORTCULLIS_BUNDLE_KEYS =");
    console.log(set);
    console.log("2. Set the console's PORTCULLIS_BUNDLE_SIGNING_KEY to this private JWK (a secret: store it like one), restart, publish:");
    console.log(JSON.stringify(next));
    console.log(`3. Once every portal runs a bundle signed with the new key, drop ${keyIdOf(before.current)} from PORTCULLIS_BUNDLE_KEYS.`);
    return;
  }
  const after = rotateLocalSigningKey(dir);
  console.log(`New signing key ${keyIdOf(after.current)} written to ${after.file}; ${keyIdOf(before.current)} stays trusted.`);
  console.log("Restart `npm start` so the local portal trusts the new key, then publish.");
  console.log("");
  console.log("PORTCULLIS_BUNDLE_KEYS:");
  console.log(JSON.stringify(publicKeySet(after)));
}

try {
  if (command === "print") print();
  else if (command === "rotate") rotate();
  else if (command === "new-edge-secret") console.log(generateEdgeSecret());
  else {
    console.error(`Unknown command "${command}". Use: npm run keys -- print | rotate | new-edge-secret`);
    process.exit(2);
  }
} catch (error) {
  console.error(`[portcullis] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
