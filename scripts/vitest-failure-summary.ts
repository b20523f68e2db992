/**
 * A Vitest reporter that repeats, as the very last lines of the run, one line per failed test and
 * per unhandled error. The default reporter prints them in full further up, where a serialized
 * error (a node-postgres client, say) can push them out of a CI log's tail.
 */
import type { Reporter, SerializedError, TestModule } from "vitest/node";

const firstLine = (text: unknown) => String(text ?? "").split("\n")[0]!.slice(0, 300);

function describeError(error: SerializedError): string {
  const code = (error as { code?: unknown }).code;
  const frame = /\n\s+at .*/.exec(error.stack ?? "")?.[0]?.trim();
  return [`${error.name ?? "Error"}${code ? ` ${String(code)}` : ""}: ${firstLine(error.message)}`, frame].filter(Boolean).join(" ");
}

export default class FailureSummary implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>) {
    const lines: string[] = [];
    for (const module of testModules) {
      for (const error of module.errors()) lines.push(`  file  ${module.relativeModuleId}: ${firstLine(error.message)}`);
      for (const test of module.children.allTests("failed")) {
        lines.push(`  test  ${module.relativeModuleId} > ${test.fullName}: ${firstLine(test.result().errors?.[0]?.message)}`);
      }
    }
    for (const error of unhandledErrors) lines.push(`  error ${describeError(error)}`);
    if (lines.length) process.stdout.write(`\nWhat failed (details above):\n${lines.join("\n")}\n`);
  }
}
