/**
 * The backup file: one file, read by `npm run restore` and checked end to end before anything is
 * written.
 *
 *   PORTCULLIS-BACKUP 1\n      the format and its version (`head -1 file` says what the file is)
 *   {manifest JSON}\n          where it came from and what it holds: entry names and sizes, in order
 *   <entry bytes, one after the other>
 *   sha256 <64 hex>\n          SHA-256 of every byte above this line
 *
 * The database entry is PGlite's own copy of its data folder (`dumpDataDir`: a gzipped tar); the
 * others are the data folder's key files, byte for byte. Nothing in it is encrypted: the file is
 * as secret as the data folder itself (written 0600).
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { EDGE_SECRET_FILE, SIGNING_KEY_FILE } from "@/scripts/lib/local-keys.mjs";
import { AUTH_SECRET_FILE } from "@/lib/auth/local-secret";
import { ENCRYPTION_KEY_FILE } from "@/lib/secret-box";

export const BACKUP_FORMAT_VERSION = 1;
const MAGIC = "PORTCULLIS-BACKUP ";
const TRAILER_PREFIX = "sha256 ";
const TRAILER_BYTES = TRAILER_PREFIX.length + 64 + 1;

/** The database entry: PGlite's dump of `$PORTCULLIS_DATA_DIR/pglite`. */
export const DATABASE_ENTRY = "pglite.tar.gz";

/** The data folder's files that the console reads, each replaced by an environment variable when that is set. */
export const KEY_FILES = [
  { name: ENCRYPTION_KEY_FILE, env: "PORTCULLIS_ENCRYPTION_KEYS", what: "encrypts upstream credentials at rest" },
  { name: SIGNING_KEY_FILE, env: "PORTCULLIS_BUNDLE_SIGNING_KEY", what: "signs config bundles" },
  { name: EDGE_SECRET_FILE, env: "PORTCULLIS_EDGE_SECRET", what: "shared with the portal Worker" },
  { name: AUTH_SECRET_FILE, env: "AUTH_SECRET", what: "signs session cookies" },
] as const;

const ENTRY_NAMES = [DATABASE_ENTRY, ...KEY_FILES.map((f) => f.name)] as [string, ...string[]];

export const BackupManifest = z.object({
  format: z.literal("portcullis-backup"),
  version: z.literal(BACKUP_FORMAT_VERSION),
  createdAt: z.iso.datetime(),
  /** `server_version` of the PGlite that wrote the database (its data folder is tied to the PostgreSQL major). */
  postgres: z.string().max(200),
  /** Migrations applied to the database: their number, and the newest (tag and drizzle's `when`). */
  migrations: z.object({ count: z.number().int().min(0), last: z.string().max(200).nullable(), lastAt: z.number().int().nullable() }),
  entries: z
    .array(z.object({ name: z.enum(ENTRY_NAMES), size: z.number().int().min(0) }))
    .refine((list) => new Set(list.map((e) => e.name)).size === list.length, "an entry appears twice")
    .refine((list) => list.some((e) => e.name === DATABASE_ENTRY), `no ${DATABASE_ENTRY} entry`),
});
export type BackupManifest = z.infer<typeof BackupManifest>;

/** The file is not a backup this version can restore, or it is damaged. Nothing was written. */
export class BackupFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupFormatError";
  }
}

export function encodeBackup(manifest: Omit<BackupManifest, "entries">, entries: { name: string; data: Uint8Array }[]): Buffer {
  const full = BackupManifest.parse({ ...manifest, entries: entries.map((e) => ({ name: e.name, size: e.data.byteLength })) });
  const body = Buffer.concat([Buffer.from(`${MAGIC}${BACKUP_FORMAT_VERSION}\n${JSON.stringify(full)}\n`), ...entries.map((e) => e.data)]);
  return Buffer.concat([body, Buffer.from(`${TRAILER_PREFIX}${createHash("sha256").update(body).digest("hex")}\n`)]);
}

/** Checks the whole file (format, version, checksum, manifest, sizes) and returns its parts; `label` names it in errors. */
export function decodeBackup(archive: Buffer, label: string): { manifest: BackupManifest; entries: Map<string, Buffer> } {
  const firstLine = archive.subarray(0, Math.min(archive.length, 64)).toString("latin1").split("\n", 1)[0]!;
  if (!firstLine.startsWith(MAGIC)) throw new BackupFormatError(`${label} is not a Portcullis backup (it does not start with "${MAGIC.trim()}")`);
  const version = firstLine.slice(MAGIC.length);
  if (version !== String(BACKUP_FORMAT_VERSION)) {
    throw new BackupFormatError(`${label} is a backup in format version ${JSON.stringify(version)}; this Portcullis restores version ${BACKUP_FORMAT_VERSION} (use the Portcullis that made it, or a newer one)`);
  }
  const damaged = (why: string) => new BackupFormatError(`${label} is damaged (${why}); nothing was restored`);
  if (archive.length < firstLine.length + 1 + TRAILER_BYTES) throw damaged("it is cut short");
  const body = archive.subarray(0, archive.length - TRAILER_BYTES);
  const trailer = archive.subarray(archive.length - TRAILER_BYTES).toString("latin1");
  if (!/^sha256 [0-9a-f]{64}\n$/.test(trailer)) throw damaged("its checksum line is missing: the file is cut short or has bytes added");
  if (createHash("sha256").update(body).digest("hex") !== trailer.slice(TRAILER_PREFIX.length, -1)) throw damaged("its SHA-256 does not match: bytes were changed");

  const manifestStart = firstLine.length + 1;
  const manifestEnd = body.indexOf(0x0a, manifestStart);
  if (manifestEnd < 0) throw damaged("no manifest");
  let manifest: BackupManifest;
  try {
    manifest = BackupManifest.parse(JSON.parse(body.subarray(manifestStart, manifestEnd).toString("utf8")));
  } catch (error) {
    throw damaged(`its manifest is not valid: ${error instanceof z.ZodError ? z.prettifyError(error) : "not JSON"}`);
  }
  const entries = new Map<string, Buffer>();
  let offset = manifestEnd + 1;
  for (const { name, size } of manifest.entries) {
    entries.set(name, body.subarray(offset, offset + size));
    offset += size;
  }
  if (offset !== body.length) throw damaged(`its entries take ${offset - manifestEnd - 1} bytes but it holds ${body.length - manifestEnd - 1}`);
  return { manifest, entries };
}
