// A script's command line: node's parseArgs with `--help`/`-h` added. An unknown or malformed option
// prints its error and the usage and exits 2; --help prints the usage and exits 0.
import { parseArgs } from "node:util";

/** `{ values, positionals }` of process.argv for `options` (parseArgs's), or the process exits. */
export function parseCommandLine(usage, options, { allowPositionals = false } = {}) {
  let args;
  try {
    args = parseArgs({ allowPositionals, options: { ...options, help: { type: "boolean", short: "h" } } });
  } catch (error) {
    console.error(`${error.message}\n${usage}`);
    process.exit(2);
  }
  if (args.values.help) {
    console.log(usage);
    process.exit(0);
  }
  return args;
}
