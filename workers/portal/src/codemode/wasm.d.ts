/** The QuickJS engine as a compiled WebAssembly module (wrangler bundles `.wasm` imports as CompiledWasm). */
declare module "*/emscripten-module.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
