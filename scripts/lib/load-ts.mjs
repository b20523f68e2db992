// Runs console TypeScript (lib/…) from a plain Node script with no build step: esbuild bundles the
// entry (~100 ms; tsconfig's @/ and @core/ paths included) into a temporary file that is imported
// and removed. Not a data: URL, as scripts/scan.mjs does: an error's stack would print the whole
// bundle in base64; with the inline source map stacks name lib/….ts lines instead. Packages stay
// outside the bundle, imported from node_modules by absolute URL (the temporary folder has no
// node_modules): PGlite, for one, loads its WebAssembly from beside its own module.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { isBuiltin } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

const packagesFromNodeModules = {
  name: "packages-from-node-modules",
  setup(build) {
    // esbuild's filters are Go regular expressions (no look-ahead): the rest is decided here.
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (/^@(core)?\//.test(args.path)) return undefined; // tsconfig paths: bundled
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      return { path: import.meta.resolve(args.path), external: true };
    });
  },
};

/** The module at `entry` (relative to the repository root), bundled and imported. */
export async function importTypeScript(entry) {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [path.join(root, entry)],
    absWorkingDir: root,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    write: false,
    sourcemap: "inline",
    logLevel: "warning",
    plugins: [packagesFromNodeModules],
  });
  process.setSourceMapsEnabled(true);
  const dir = await mkdtemp(path.join(os.tmpdir(), "portcullis-script-"));
  try {
    const file = path.join(dir, `${path.basename(entry, ".ts")}.mjs`);
    await writeFile(file, result.outputFiles[0].text);
    return await import(pathToFileURL(file).href);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
