/**
 * Which local (stdio) MCP server a command line launches, whatever its arguments: the finding key
 * of a laptop-scan stdio server. `npx -y @modelcontextprotocol/server-filesystem /home/a` and
 * `… /home/b`, `pkg@1.2` and `pkg@1.3`, `uvx mcp-server-git --repository X` and `--repository Y`
 * are one server each; the arguments (paths, values, versions) only say how it was started.
 *
 * The identity is `<ecosystem>:<name>`: `npm:` (npx, bunx, pnpm dlx, yarn dlx, npm exec),
 * `pypi:` (uvx, uv tool run, pipx run, python -m), `docker:` (the image, without tag or digest),
 * `script:` (node/python/deno/bun/tsx running a file: its name, with its folder when the name
 * alone says nothing, as in `weather-mcp/index.js`), and `bin:` (any other program: its name).
 */

/** A value-taking flag of each launcher: what follows it is the flag's value, not the package. */
const VALUE_FLAGS: Record<string, ReadonlySet<string>> = {
  npm: new Set(["-p", "--package", "-c", "--call", "--registry", "--cache", "--userconfig", "-w", "--workspace", "--prefix"]),
  pypi: new Set(["--from", "--with", "--with-requirements", "--with-editable", "--python", "-p", "--index", "--index-url", "--extra-index-url", "--directory", "--project", "--spec", "--pip-args", "-m"]),
  docker: new Set(["-e", "--env", "--env-file", "-v", "--volume", "--mount", "--name", "--network", "--net", "-p", "--publish", "-w", "--workdir", "-u", "--user", "--entrypoint", "-l", "--label", "--platform", "--pull", "--add-host", "--memory", "-m", "--cpus", "--hostname", "-h", "--restart", "--dns", "--cap-add", "--cap-drop", "--security-opt", "--ulimit", "--tmpfs", "--device", "--gpus", "--log-driver", "--log-opt", "--runtime", "--shm-size", "--ipc", "--pid"]),
  script: new Set(["-r", "--require", "--import", "--loader", "--experimental-loader", "-c", "--config", "--env-file", "-W", "-X", "--inspect-port", "--conditions", "--title"]),
};

const NPM_RUNNERS = new Set(["npx", "bunx", "pnpx"]);
const SCRIPT_RUNNERS = new Set(["node", "nodejs", "deno", "bun", "tsx", "ts-node", "python", "python3", "py"]);
/** File names that say nothing alone: the folder above (skipping build folders) names the server. */
const GENERIC_FILE = /^(index|main|server|app|cli|run|start|__main__|mcp|mcp-server|mcp_server)\.[cm]?[jt]sx?$|^(index|main|server|app|cli|run|start|__main__|mcp|mcp_server)\.py$/i;
const BUILD_FOLDER = /^(build|dist|out|lib|src|bin|target|release|\.venv|venv|node_modules|site-packages|scripts?)$/i;

/** The last part of a path (either slash), without a Windows executable suffix. */
function baseName(path: string): string {
  const last = path.replace(/[\\/]+$/, "").split(/[\\/]/).at(-1) ?? path;
  return last.replace(/\.(cmd|exe|bat|ps1)$/i, "");
}

/** The first positional argument, skipping flags (and the value of each value-taking flag). */
function firstPositional(args: readonly string[], valueFlags: ReadonlySet<string>): { value: string; at: number } | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return i + 1 < args.length ? { value: args[i + 1]!, at: i + 1 } : null;
    if (a.startsWith("-")) {
      if (!a.includes("=") && valueFlags.has(a)) i++;
      continue;
    }
    return { value: a, at: i };
  }
  return null;
}

/** The value of the first of these flags (`--from pkg` or `--from=pkg`), if given. */
function flagValue(args: readonly string[], names: readonly string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    for (const n of names) {
      if (a === n && i + 1 < args.length) return args[i + 1]!;
      if (a.startsWith(`${n}=`)) return a.slice(n.length + 1);
    }
  }
  return null;
}

/** An npm package spec without its version or tag: `@scope/name@1.2.3` → `@scope/name`. */
function npmName(spec: string): string {
  const at = spec.indexOf("@", spec.startsWith("@") ? 1 : 0);
  return (at > 0 ? spec.slice(0, at) : spec).toLowerCase();
}

/** A Python requirement without version, extras or markers: `mcp-server-git[x]==1.0` → `mcp-server-git` (PEP 503 normalized). */
function pypiName(spec: string): string {
  const name = /^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(spec.split(/[@=<>~!;\s[]/)[0] ?? spec)?.[0] ?? spec;
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** A Docker image without registry tag or digest: `ghcr.io/github/github-mcp-server:v1@sha256:…` → `ghcr.io/github/github-mcp-server`. */
function imageName(image: string): string {
  const noDigest = image.split("@")[0]!;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return (colon > slash ? noDigest.slice(0, colon) : noDigest).toLowerCase();
}

/** A script's name, with the folder above when the name alone is generic (`index.js`). */
function scriptName(path: string): string {
  const parts = path.replace(/[\\/]+$/, "").split(/[\\/]/).filter((p) => p !== "" && p !== "." && p !== "..");
  const file = parts.at(-1) ?? path;
  if (!GENERIC_FILE.test(file)) return file;
  const folder = parts.slice(0, -1).reverse().find((p) => !BUILD_FOLDER.test(p) && p !== "~" && p !== "REDACTED");
  return folder ? `${folder}/${file}` : file;
}

function npmIdentity(args: readonly string[]): string | null {
  const pkg = flagValue(args, ["-p", "--package"]) ?? firstPositional(args, VALUE_FLAGS.npm!)?.value;
  return pkg ? `npm:${npmName(pkg)}` : null;
}

function pypiIdentity(args: readonly string[]): string | null {
  const pkg = flagValue(args, ["--from", "--spec"]) ?? firstPositional(args, VALUE_FLAGS.pypi!)?.value;
  return pkg ? `pypi:${pypiName(pkg)}` : null;
}

function scriptIdentity(runner: string, args: readonly string[]): string | null {
  // `deno run …`, `bun run …`: the subcommand is not the script.
  const rest = (runner === "deno" || runner === "bun") && (args[0] === "run" || args[0] === "x") ? args.slice(1) : args;
  if (runner === "bun" && args[0] === "x") return npmIdentity(rest);
  const module = flagValue(rest, ["-m"]);
  if (module && runner.startsWith("py")) return `pypi:${pypiName(module)}`;
  const script = firstPositional(rest, VALUE_FLAGS.script!);
  if (!script) return null;
  if (/^(npm|jsr):/.test(script.value)) return `npm:${npmName(script.value.replace(/^(npm|jsr):/, ""))}`;
  return `script:${scriptName(script.value)}`;
}

/** The identity of the server a stdio command line launches (see the file's comment). */
export function stdioServerIdentity(command: string, args: readonly string[] = []): string {
  let program = baseName(command.trim()).toLowerCase();
  let rest = [...args];
  // `cmd /c npx …` (Windows) and `env A=1 npx …`: the program is the one they start.
  while ((program === "cmd" && /^\/c$/i.test(rest[0] ?? "")) || program === "env") {
    if (program === "cmd") rest = rest.slice(1);
    while (program === "env" && rest[0] && (rest[0].includes("=") || rest[0].startsWith("-"))) rest = rest.slice(1);
    if (!rest[0]) break;
    program = baseName(rest[0]).toLowerCase();
    rest = rest.slice(1);
  }
  let identity: string | null = null;
  if (NPM_RUNNERS.has(program)) identity = npmIdentity(rest);
  else if ((program === "pnpm" || program === "yarn") && rest[0] === "dlx") identity = npmIdentity(rest.slice(1));
  else if (program === "npm" && (rest[0] === "exec" || rest[0] === "x")) identity = npmIdentity(rest.slice(1));
  else if (program === "uvx") identity = pypiIdentity(rest);
  else if (program === "uv" && rest[0] === "tool" && rest[1] === "run") identity = pypiIdentity(rest.slice(2));
  else if (program === "uv" && rest.includes("run")) {
    // `uv --directory ~/code/weather run server.py`: the script is named from that folder.
    const folder = flagValue(rest, ["--directory", "--project"]);
    const after = rest.slice(rest.indexOf("run") + 1);
    const script = firstPositional(after, VALUE_FLAGS.pypi!);
    identity = folder && script && !/[\\/]/.test(script.value) ? `script:${scriptName(`${folder}/${script.value}`)}` : scriptIdentity("python", after);
  }
  else if (program === "pipx" && rest[0] === "run") identity = pypiIdentity(rest.slice(1));
  else if ((program === "docker" || program === "podman") && rest[0] === "run") {
    const image = firstPositional(rest.slice(1), VALUE_FLAGS.docker!);
    identity = image ? `docker:${imageName(image.value)}` : null;
  } else if (SCRIPT_RUNNERS.has(program) || /^python3(\.\d+)?$/.test(program)) identity = scriptIdentity(program, rest);
  return identity ?? `bin:${program || command.trim()}`;
}
