import ts from "typescript";

/**
 * Type-checks in-memory TypeScript files with the TypeScript compiler under strict settings (no
 * DOM, no Node types: what generated declarations must stand on alone); the diagnostics as text,
 * "" when there are none.
 */
export function typeCheck(files: Record<string, string>): string {
  const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, lib: ["lib.es2022.d.ts"], types: [], noUnusedLocals: false };
  const host = ts.createCompilerHost(options);
  const original = { getSourceFile: host.getSourceFile, fileExists: host.fileExists, readFile: host.readFile };
  host.getSourceFile = (name, languageVersion, ...rest) =>
    name in files ? ts.createSourceFile(name, files[name]!, languageVersion, true) : original.getSourceFile.call(host, name, languageVersion, ...rest);
  host.fileExists = (name) => name in files || original.fileExists.call(host, name);
  host.readFile = (name) => files[name] ?? original.readFile.call(host, name);
  const program = ts.createProgram(Object.keys(files), options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`)
    .join("\n");
}
