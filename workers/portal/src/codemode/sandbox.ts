/**
 * Where Code Mode's code runs: QuickJS compiled to WebAssembly, inside the portal's isolate
 * (quickjs-emscripten, the sync variant). The code sees a bare JavaScript engine — no `fetch`, no
 * sockets, no imports, no timers, no bindings, no secrets: nothing but `codemode.<tool>(input)`
 * (each call handed to `host.call`, which takes the portal's per-call path) and `console`. Every
 * value crosses the boundary as JSON text.
 *
 * Why not the Worker Loader (a child isolate with `globalOutbound: null`, what
 * `@cloudflare/codemode`'s DynamicWorkerExecutor uses): in local workerd (npm start, the tests,
 * the self-hosted mode) its `limits.cpuMs` is not enforced and there is no memory cap — measured
 * here: `while (true) {}` froze the whole workerd process, portal included, and an allocation of
 * objects past V8's heap limit aborted it. QuickJS enforces both everywhere, in a WebAssembly
 * memory the code cannot leave: an interrupt handler counts the interpreter's checks (workerd's
 * clock does not advance during computation, so time cannot be read) and a memory limit per run.
 * docs/codemode.md has the limits and the measurements.
 */
import { newQuickJSWASMModuleFromVariant, newVariant, type QuickJSDeferredPromise, type QuickJSHandle, type QuickJSWASMModule } from "quickjs-emscripten-core";
import baseVariant from "@jitl/quickjs-wasmfile-release-sync";
// A path (not the package's `./wasm` export): wrangler bundles a `.wasm` import as a CompiledWasm module by its file name.
import wasmModule from "../../../../node_modules/@jitl/quickjs-wasmfile-release-sync/dist/emscripten-module.wasm";

export interface SandboxLimits {
  /** Interpreter interrupt checks before the run is stopped (~11 per ms of computation on the machines this was measured on). */
  interrupts: number;
  /** QuickJS heap limit per run, bytes. */
  memoryBytes: number;
  /** Wall-clock limit of the whole run, tool calls included, ms. */
  wallMs: number;
  /** Tool calls one run may make. */
  maxCalls: number;
}

export interface SandboxHost {
  /**
   * One `codemode.<name>(input)`: resolves with the value the code gets (JSON text), rejects with
   * an Error whose message the code sees. `run.paused(p)` waits for `p` with the run's wall clock
   * stopped (a person deciding is not the code running).
   */
  call(name: string, inputJson: string, run: { paused<T>(p: Promise<T>): Promise<T> }): Promise<string>;
}

export type SandboxOutcome =
  | { ok: true; result: unknown; logs: string[]; calls: number }
  | { ok: false; error: string; line: number | null; logs: string[]; calls: number };

const LOG_LINES = 100;
const LOG_LINE_CHARS = 2_000;
export const RESULT_LIMIT_CHARS = 200_000;

let module: Promise<QuickJSWASMModule> | undefined;
const quickjs = () => (module ??= newQuickJSWASMModuleFromVariant(newVariant(baseVariant, { wasmModule: wasmModule as WebAssembly.Module })));

/**
 * Runs concurrently in one isolate: each run's heap lives in the one WebAssembly memory of the
 * isolate, which only grows; a few runs at their limit stay well inside a Worker's 128 MB.
 */
const MAX_CONCURRENT_RUNS = 4;
let running = 0;
const waiting: (() => void)[] = [];

async function slot(): Promise<() => void> {
  if (running >= MAX_CONCURRENT_RUNS) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  return () => {
    running--;
    waiting.shift()?.();
  };
}

// Line 1 of the script is the wrapper's: the code's line N is the script's line N + 1.
const WRAPPER_LINES = 1;

/** The code's line of an error, from its stack (`at … (code.js:LINE:COL)`) or a syntax error's position. */
function codeLine(stack: unknown): number | null {
  if (typeof stack !== "string") return null;
  const m = /code\.js:(\d+)/.exec(stack);
  if (!m) return null;
  const line = Number(m[1]) - WRAPPER_LINES;
  return line >= 1 ? line : null;
}

const PRELUDE = `
"use strict";
(() => {
  const call = globalThis.__call, log = globalThis.__log;
  delete globalThis.__call;
  delete globalThis.__log;
  const text = (v) => { if (typeof v === "string") return v; try { const j = JSON.stringify(v); return j === undefined ? String(v) : j; } catch { return String(v); } };
  const console = {};
  for (const level of ["log", "info", "warn", "error", "debug"]) console[level] = (...args) => log(level, args.map(text).join(" "));
  // No code from strings: eval and every Function constructor refuse (the engine cannot reach out anyway; this keeps the code what was sent).
  const refuse = (what) => function () { throw new EvalError(what + " is not available in Code Mode's sandbox"); };
  for (const F of [Function, (async function () {}).constructor, (function* () {}).constructor, (async function* () {}).constructor]) {
    Object.defineProperty(F.prototype, "constructor", { value: refuse("Function"), writable: false, configurable: false });
  }
  Object.defineProperty(globalThis, "eval", { value: refuse("eval"), writable: false, configurable: false });
  Object.defineProperty(globalThis, "Function", { value: refuse("Function"), writable: false, configurable: false });
  // "then" stays undefined, so that awaiting the object itself is not a tool call.
  const codemode = new Proxy(Object.freeze(Object.create(null)), {
    get: (_, name) => typeof name === "string" && name !== "then" ? (input) => {
      // Where the code called from (its line), for the error if the call is refused or fails.
      const site = new Error().stack;
      return call(name, JSON.stringify(input === undefined ? {} : input)).then((json) => JSON.parse(json), (e) => {
        const error = new Error(e && e.message);
        error.stack = site;
        throw error;
      });
    } : undefined,
    set: () => false, defineProperty: () => false, deleteProperty: () => false, setPrototypeOf: () => false,
  });
  Object.defineProperty(globalThis, "console", { value: Object.freeze(console) });
  Object.defineProperty(globalThis, "codemode", { value: codemode });
  globalThis.__finish = (value) => { const j = JSON.stringify(value); return j === undefined ? "null" : j; };
})();
`;

export async function runInSandbox(code: string, host: SandboxHost, limits: SandboxLimits): Promise<SandboxOutcome> {
  const QuickJS = await quickjs();
  const release = await slot();
  const logs: string[] = [];
  /** Tool calls not answered yet: disposed with the run if it ends first (stopped, timed out). */
  const pending = new Set<QuickJSDeferredPromise>();
  let calls = 0;
  let alive = true;
  const runtime = QuickJS.newRuntime();
  runtime.setMemoryLimit(limits.memoryBytes);
  runtime.setMaxStackSize(512 * 1024);
  let interrupts = 0;
  let stopped: string | null = null;
  runtime.setInterruptHandler(() => {
    if (++interrupts > limits.interrupts) stopped ??= "the code ran out of its computation budget (an endless loop?) and was stopped";
    return stopped !== null;
  });
  const ctx = runtime.newContext();
  const fail = (error: string, line: number | null): SandboxOutcome => ({ ok: false, error, line, logs, calls });
  const errorOf = (handle: QuickJSHandle): { error: string; line: number | null } => {
    const raw: unknown = ctx.dump(handle);
    handle.dispose();
    const dumped = raw as { name?: unknown; message?: unknown; stack?: unknown };
    if (raw && typeof raw === "object" && "message" in raw) {
      const name = typeof dumped.name === "string" ? dumped.name : "Error";
      if (name === "InternalError" && dumped.message === "out of memory") return { error: `the code used more than its ${Math.round(limits.memoryBytes / 1_048_576)} MB of memory and was stopped`, line: codeLine(dumped.stack) };
      if (name === "InternalError" && dumped.message === "interrupted") return { error: (stopped ?? "the code was stopped"), line: null }; // QuickJS places an interrupt at the function's first line: no use
      return { error: `${name}: ${String(dumped.message)}`, line: codeLine(dumped.stack) };
    }
    return { error: `Uncaught ${typeof raw === "string" ? raw : JSON.stringify(raw)}`, line: null };
  };
  // The wall clock: stopped while any call waits on a person (clock.paused), the time left kept.
  let timer: ReturnType<typeof setTimeout> | undefined;
  let expire: (() => void) | undefined;
  let left = limits.wallMs;
  let since = Date.now();
  let pauses = 0;
  const clock = {
    async paused<T>(p: Promise<T>): Promise<T> {
      if (pauses++ === 0 && timer !== undefined) {
        clearTimeout(timer);
        left -= Date.now() - since;
      }
      try {
        return await p;
      } finally {
        if (--pauses === 0 && alive && expire) {
          since = Date.now();
          timer = setTimeout(expire, Math.max(0, left));
        }
      }
    },
  };
  try {
    const logFn = ctx.newFunction("__log", (levelH, textH) => {
      if (logs.length < LOG_LINES) logs.push(`${ctx.getString(levelH)}: ${ctx.getString(textH).slice(0, LOG_LINE_CHARS)}`);
      else if (logs.length === LOG_LINES) logs.push(`(more console output left out: ${LOG_LINES} lines at most)`);
    });
    ctx.setProp(ctx.global, "__log", logFn);
    logFn.dispose();
    const callFn = ctx.newFunction("__call", (nameH, inputH) => {
      const deferred = ctx.newPromise();
      pending.add(deferred);
      const name = ctx.getString(nameH);
      const input = ctx.getString(inputH);
      calls++;
      const answer = calls > limits.maxCalls ? Promise.reject(new Error(`more than ${limits.maxCalls} tool calls in one run; split the work`)) : host.call(name, input, clock);
      answer.then(
        (json) => {
          if (!alive) return;
          const h = ctx.newString(json);
          deferred.resolve(h);
          h.dispose();
        },
        (error: unknown) => {
          if (!alive) return;
          const h = ctx.newError(error instanceof Error ? error.message : String(error));
          deferred.reject(h);
          h.dispose();
        },
      );
      void deferred.settled.then(() => {
        pending.delete(deferred);
        if (alive) runtime.executePendingJobs();
      });
      return deferred.handle;
    });
    ctx.setProp(ctx.global, "__call", callFn);
    callFn.dispose();
    const prelude = ctx.evalCode(PRELUDE, "prelude.js");
    if (prelude.error) return fail(errorOf(prelude.error).error, null);
    prelude.value.dispose();

    // Strict, as a module would be; the code's first line is the script's second.
    const evaluated = ctx.evalCode(`(async () => { "use strict";\n${code}\n})().then(__finish)`, "code.js");
    if (evaluated.error) {
      const { error, line } = errorOf(evaluated.error);
      return fail(error, line);
    }
    const settled = ctx.resolvePromise(evaluated.value);
    evaluated.value.dispose();
    runtime.executePendingJobs();
    const deadline = new Promise<"timeout">((resolve) => {
      expire = () => resolve("timeout");
      since = Date.now();
      if (pauses === 0) timer = setTimeout(expire, left);
    });
    const outcome = await Promise.race([settled, deadline]);
    if (outcome === "timeout") {
      stopped = `the code ran longer than ${Math.round(limits.wallMs / 1000)} s and was stopped`;
      // The promise is abandoned; the runtime is disposed below, and late tool answers are ignored.
      return fail(stopped, null);
    }
    if (outcome.error) {
      const { error, line } = errorOf(outcome.error);
      return fail(error, line);
    }
    const json = ctx.getString(outcome.value);
    outcome.value.dispose();
    if (json.length > RESULT_LIMIT_CHARS) return fail(`the returned value is ${json.length} characters of JSON; at most ${RESULT_LIMIT_CHARS}: return less (a summary, the first items)`, null);
    return { ok: true, result: JSON.parse(json) as unknown, logs, calls };
  } finally {
    alive = false;
    if (timer !== undefined) clearTimeout(timer);
    try {
      for (const deferred of pending) deferred.dispose();
      ctx.dispose();
      runtime.dispose();
    } catch {
      // A run stopped with work pending can leave handles QuickJS complains about; the memory goes with the runtime either way.
    }
    release();
  }
}
