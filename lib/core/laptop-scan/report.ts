/**
 * The laptop scan report: what `npm run scan` prints with --json and POSTs to the console's
 * `/api/v1/shadow/scans`. Strict, so an unexpected field (where a secret could hide) is refused.
 */
import { z } from "zod";
import { CLIENT_IDS, type CandidatePath } from "./clients";
import { parseConfig, summarizeRedactions, type FoundServer } from "./parse";

const ClientId = z.enum(CLIENT_IDS);

/** Generous bounds (a real laptop has a few dozen entries), so a forged report cannot fill the database. */
const Path = z.string().min(1).max(4096);
const Name = z.string().min(1).max(256);
const Names = z.array(z.string().max(256)).max(500);

export const FoundServerOutput = z.strictObject({
  client: ClientId,
  configPath: Path,
  project: Path.optional(),
  name: Name,
  transport: z.enum(["stdio", "http", "sse"]),
  command: z.string().max(4096).optional(),
  args: z.array(z.string().max(4096)).max(200).optional(),
  url: z.string().max(4096).optional(),
  envNames: Names,
  headerNames: Names,
  disabled: z.boolean().optional(),
  redactions: Names,
});

export const ScanReportInput = z.strictObject({
  device: z.strictObject({ name: Name, os: Name, user: Name }),
  scannedAt: z.iso.datetime(),
  files: z
    .array(
      z.strictObject({
        client: ClientId,
        path: Path,
        found: z.number().int().min(0).max(100_000),
        error: z.string().max(2000).optional(),
      }),
    )
    .max(1000),
  servers: z.array(FoundServerOutput).max(5000),
  redactionReport: z.strictObject({
    envValues: z.number().int().min(0),
    headerValues: z.number().int().min(0),
    args: z.number().int().min(0),
    urlParts: z.number().int().min(0),
  }),
});
export type ScanReport = z.infer<typeof ScanReportInput>;

export interface ReadFile {
  candidate: CandidatePath;
  /** The file's text; undefined with `error` when it exists but could not be read. */
  text?: string;
  error?: string;
}

/** Builds the report from the files the CLI could open (missing files are not listed). */
export function buildReport(input: { device: ScanReport["device"]; scannedAt: string; files: readonly ReadFile[] }): ScanReport {
  const files: ScanReport["files"] = [];
  const servers: FoundServer[] = [];
  for (const file of input.files) {
    const { client, path } = file.candidate;
    if (file.text === undefined) {
      files.push({ client, path, found: 0, error: file.error ?? "unreadable" });
      continue;
    }
    const parsed = parseConfig(file.candidate, file.text);
    servers.push(...parsed.servers);
    files.push({ client, path, found: parsed.servers.length, ...(parsed.error ? { error: parsed.error } : {}) });
  }
  return ScanReportInput.parse({ device: input.device, scannedAt: input.scannedAt, files, servers, redactionReport: summarizeRedactions(servers) });
}

/** Throws when any of `secrets` appears anywhere in the serialized report (for tests). */
export function assertNoSecrets(report: unknown, secrets: readonly string[]): void {
  const text = typeof report === "string" ? report : JSON.stringify(report);
  const leaked = secrets.filter((s) => s.length > 0 && text.includes(s));
  if (leaked.length > 0) {
    // Show only a prefix: the assertion message itself ends up in CI logs.
    throw new Error(`report leaks ${leaked.length} secret(s): ${leaked.map((s) => `${s.slice(0, 6)}…`).join(", ")}`);
  }
}
