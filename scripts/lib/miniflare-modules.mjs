/**
 * How Miniflare loads the modules of the portal's build (wrangler deploy --dry-run --outdir): the
 * bundle, and beside it the WebAssembly modules it imports (QuickJS, Code Mode's sandbox), which
 * wrangler emits as CompiledWasm files. Miniflare's defaults know only JavaScript modules.
 */
export const PORTAL_MODULE_RULES = [{ type: "CompiledWasm", include: ["**/*.wasm"] }];
