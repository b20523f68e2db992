import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, pgliteDirOf, type Database } from "@/db/client";
import { servers } from "@/db/schema";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { makeUser } from "@/testing/users";
import { makeEvent } from "@/testing/events";
import { signEventBody } from "@core/edge/secret";
import { approveServer } from "@/lib/servers/approve-server";
import { registerServer } from "@/lib/servers/register-server";
import { openCredential } from "@/lib/servers/credentials";
import { listServers } from "@/lib/servers/queries";
import { createPolicy } from "@/lib/policies/create-policy";
import { listPolicies } from "@/lib/policies/queries";
import { listAudit } from "@/lib/audit/list-audit";
import { listEvents } from "@/lib/audit/list-events";
import { ingestEventsRequest } from "@/lib/audit/ingest-request";
import { edgeSecrets, loadEdgeKeys } from "@/lib/config/edge-keys";
import { ensureAuthSecret } from "@/lib/auth/local-secret";
import { BOOTSTRAP_ACTOR } from "@/lib/auth/actor";
import { encodeBackup, type BackupManifest } from "./archive";
import { createBackup, defaultBackupName } from "./create-backup";
import { BackupError } from "./data-dir";
import { checkBackup, restoreBackup } from "./restore-backup";

/** Everything the console's data layer shows, as an administrator sees it. */
async function consoleView(db: Database) {
  const ctx = { db, actor: BOOTSTRAP_ACTOR };
  return {
    servers: await listServers(ctx),
    policies: await listPolicies(ctx),
    audit: await listAudit(ctx, { limit: 200 }),
    calls: (await listEvents(ctx, { limit: 200 })).events,
  };
}

/** Every row of every table, in a stable order: nothing may differ after a restore. */
async function allRows(db: Database): Promise<Record<string, unknown[]>> {
  const tables = (await db.execute(sql`select tablename from pg_tables where schemaname = 'public' order by tablename`)) as unknown as { rows: { tablename: string }[] };
  const out: Record<string, unknown[]> = {};
  for (const { tablename } of tables.rows) {
    const { rows } = (await db.execute(sql`select to_jsonb(t)::text as row from ${sql.identifier(tablename)} t order by 1`)) as unknown as { rows: { row: string }[] };
    out[tablename] = rows.map((r) => r.row);
  }
  return out;
}

/** Four PGlite starts on disk (make, back up, restore, reopen): 4–10 s each on two busy cores. */
const ROUND_TRIP_TIMEOUT_MS = 120_000;
const KEY_FILE_NAMES = ["auth-secret", "bundle-signing-key.json", "edge-secret", "encryption-key"];
const UPSTREAM_TOKEN = "upstream-secret-for-backup";

describe("backup and restore of the embedded database", () => {
  let work: string;
  let source: string;
  let archive: string;
  let upstream: Awaited<ReturnType<typeof startMutableServer>>;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "pc-backup-"));
    source = path.join(work, "source");
    archive = path.join(work, "console.pcbackup");
    upstream = await startMutableServer({ port: 0, bearer: UPSTREAM_TOKEN });
    // The console's own key files, made where it makes them: credentials are sealed with the
    // key ring of process.env's data folder.
    for (const name of ["PORTCULLIS_ENCRYPTION_KEYS", "PORTCULLIS_BUNDLE_SIGNING_KEY", "PORTCULLIS_EDGE_SECRET", "AUTH_SECRET", "DATABASE_URL"]) delete process.env[name];
    process.env.PORTCULLIS_DATA_DIR = source;
  });
  afterAll(async () => {
    process.env = savedEnv;
    await upstream?.close();
    await rm(work, { recursive: true, force: true });
  });

  it("restores into a fresh folder the same servers, policies, audit rows and call log, and the same keys: a stored credential still decrypts", async () => {
    const sourceEnv = { PORTCULLIS_DATA_DIR: source };
    ensureAuthSecret({ ...sourceEnv });
    const keysBefore = await loadEdgeKeys(sourceEnv);
    const opened = await openDatabase({ driver: "pglite", dataDir: pgliteDirOf(source) });
    let before: Awaited<ReturnType<typeof consoleView>>;
    let rowsBefore: Record<string, unknown[]>;
    let guardedId: string;
    try {
      const db = opened.db;
      const member = await makeUser(db, "member");
      const approver = await makeUser(db, "approver");
      const security = await makeUser(db, "security");
      const weather = await registerServer({ db, actor: member }, { name: "Weather", slug: "weather", url: upstream.url, justification: "forecasts", auth: { type: "bearer", token: UPSTREAM_TOKEN } });
      await approveServer({ db, actor: approver }, weather.id, { reason: "reviewed" });
      const guarded = await registerServer({ db, actor: member }, { name: "Guarded", slug: "guarded", url: upstream.url, justification: "second one", auth: { type: "bearer", token: UPSTREAM_TOKEN } });
      guardedId = guarded.id;
      await createPolicy({ db, actor: security }, { name: "No deletes", effect: "deny", subject: "everyone", server: "weather", tool: "delete_station" });
      // A call the portal reported, signed with the edge secret.
      const body = JSON.stringify({ events: [makeEvent({ serverId: weather.id, serverSlug: "weather" })] });
      const delivered = await ingestEventsRequest(new Request("http://console.test/api/v1/events", { method: "POST", body, headers: { "x-portcullis-signature": await signEventBody(body, keysBefore.edgeSecrets) } }), {
        db: async () => db,
        secrets: async () => keysBefore.edgeSecrets,
      });
      expect(delivered.status).toBe(200);
      before = await consoleView(db);
      rowsBefore = await allRows(db);
    } finally {
      await opened.close();
    }
    expect(before.servers.map((s) => [s.slug, s.status])).toEqual(expect.arrayContaining([["weather", "approved"], ["guarded", "pending_review"]]));
    expect(before.policies).toHaveLength(1);
    expect(before.audit.map((a) => a.action)).toEqual(expect.arrayContaining(["server.request", "server.approve", "policy.create"]));
    expect(before.calls).toHaveLength(1);
    // Something the console does not read, which the backup leaves out and names.
    await mkdir(path.join(source, "wrangler"));
    await mkdir(path.join(source, "portal"));

    const backup = await createBackup({ env: sourceEnv, output: archive });
    expect(backup.file).toBe(archive);
    expect((await stat(archive)).mode & 0o777).toBe(0o600);
    expect(backup.manifest.entries.map((e) => e.name).sort()).toEqual(["pglite.tar.gz", ...KEY_FILE_NAMES].sort());
    expect(backup.notes.join("\n")).toMatch(/left out wrangler: the local portal Worker's storage/);
    expect(backup.notes.join("\n")).toMatch(/left out portal: the local portal Worker's storage/);
    expect(backup.manifest.migrations.count).toBeGreaterThan(0);

    // Into a folder that does not exist yet, under a parent that does not either.
    const target = path.join(work, "new", "data");
    const restored = await restoreBackup({ file: archive, dataDir: target, env: {} });
    expect(restored).toMatchObject({ dataDir: target, movedAside: null, notes: [] });
    expect((await readdir(target)).sort()).toEqual([...KEY_FILE_NAMES, "pglite"].sort());
    expect((await stat(target)).mode & 0o777).toBe(0o700);
    for (const name of KEY_FILE_NAMES) {
      expect(await readFile(path.join(target, name)), name).toEqual(await readFile(path.join(source, name)));
      expect((await stat(path.join(target, name))).mode & 0o777, name).toBe(0o600);
    }
    // Nothing left beside it.
    expect(await readdir(path.join(work, "new"))).toEqual(["data"]);

    // From here on the source folder is gone: everything comes from the restored one.
    await rm(source, { recursive: true });
    process.env.PORTCULLIS_DATA_DIR = target;
    const targetEnv = { PORTCULLIS_DATA_DIR: target };
    const keysAfter = await loadEdgeKeys(targetEnv);
    expect(keysAfter.signing).toEqual(keysBefore.signing);
    expect(keysAfter.publicKeys).toEqual(keysBefore.publicKeys);
    const reopened = await openDatabase({ driver: "pglite", dataDir: pgliteDirOf(target) });
    try {
      const db = reopened.db;
      expect(await consoleView(db)).toEqual(before);
      expect(await allRows(db)).toEqual(rowsBefore);
      // The encryption key came back: the sealed upstream credential opens.
      const [row] = await db.select().from(servers).where(eq(servers.id, guardedId));
      expect(openCredential(guardedId, row!.credentialCiphertext).auth).toEqual({ type: "bearer", token: UPSTREAM_TOKEN });
      // The edge secret came back: an event the portal signs with the secret it already has is accepted.
      const body = JSON.stringify({ events: [makeEvent()] });
      const delivered = await ingestEventsRequest(new Request("http://console.test/api/v1/events", { method: "POST", body, headers: { "x-portcullis-signature": await signEventBody(body, keysBefore.edgeSecrets) } }), {
        db: async () => db,
        secrets: () => edgeSecrets(targetEnv),
      });
      expect(await delivered.json()).toEqual({ accepted: 1, duplicates: 0 });
    } finally {
      await reopened.close();
    }
  }, ROUND_TRIP_TIMEOUT_MS);

  describe("refusals", () => {
    let dataDir: string;
    let sound: string;
    beforeAll(async () => {
      // A small backup of a fresh console's folder, made once for these tests.
      dataDir = path.join(work, "refusals-source");
      const opened = await openDatabase({ driver: "pglite", dataDir: pgliteDirOf(dataDir) });
      await opened.close();
      await writeFile(path.join(dataDir, "edge-secret"), "not-used-here\n", { mode: 0o600 });
      sound = (await createBackup({ env: { PORTCULLIS_DATA_DIR: dataDir }, output: path.join(work, "sound.pcbackup") })).file;
    });

    it("refuses a non-empty target and leaves it as it was; --force moves its contents aside", async () => {
      const target = path.join(work, "occupied");
      await mkdir(target);
      await writeFile(path.join(target, "notes.txt"), "mine");
      const error = await restoreBackup({ file: sound, dataDir: target }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackupError);
      expect((error as Error).message).toMatch(/occupied is not empty \(notes\.txt\): restore into an empty or new folder \(--data-dir\), or pass --force/);
      expect(await readdir(target)).toEqual(["notes.txt"]);
      expect((await readdir(work)).filter((n) => n.includes("restoring"))).toEqual([]);

      const forced = await restoreBackup({ file: sound, dataDir: target, force: true });
      expect(forced.movedAside).toMatch(/occupied\.before-restore-\d{8}T\d{6}Z$/);
      expect(await readFile(path.join(forced.movedAside!, "notes.txt"), "utf8")).toBe("mine");
      expect((await readdir(target)).sort()).toEqual(["edge-secret", "pglite"]);
    });

    it("restores into an empty folder", async () => {
      const target = path.join(work, "empty");
      await mkdir(target);
      await restoreBackup({ file: sound, dataDir: target });
      expect(await readFile(path.join(target, "edge-secret"), "utf8")).toBe("not-used-here\n");
    });

    it("refuses a damaged or foreign file without writing anything", async () => {
      const bytes = await readFile(sound);
      const flipped = Buffer.from(bytes);
      flipped[Math.floor(bytes.length / 2)]! ^= 0x01;
      const cases: [string, Buffer, RegExp][] = [
        ["one bit changed", flipped, /is damaged \(its SHA-256 does not match: bytes were changed\); nothing was restored/],
        ["cut short", bytes.subarray(0, bytes.length - 1000), /is damaged \(its checksum line is missing/],
        ["bytes added", Buffer.concat([bytes, Buffer.from("x")]), /is damaged \(its checksum line is missing/],
        ["another format version", Buffer.concat([Buffer.from("PORTCULLIS-BACKUP 2\n"), bytes.subarray(20)]), /format version "2"; this Portcullis restores version 1/],
        ["not a backup", Buffer.from("PGDMP custom dump\n"), /is not a Portcullis backup/],
        ["empty", Buffer.alloc(0), /is not a Portcullis backup/],
      ];
      for (const [label, content, message] of cases) {
        const file = path.join(work, "bad.pcbackup");
        await writeFile(file, content);
        const target = path.join(work, "never", "data");
        await expect(restoreBackup({ file, dataDir: target }), label).rejects.toThrow(message);
        await expect(checkBackup(file), label).rejects.toThrow(message);
        expect(await readdir(work), label).not.toContain("never");
      }
    });

    it("refuses a backup from a newer Portcullis (a migration this checkout does not know)", async () => {
      const file = path.join(work, "future.pcbackup");
      const manifest: Omit<BackupManifest, "entries"> = { format: "portcullis-backup", version: 1, createdAt: new Date().toISOString(), postgres: "18", migrations: { count: 99, last: "0099_future", lastAt: 4_102_444_800_000 } };
      await writeFile(file, encodeBackup(manifest, [{ name: "pglite.tar.gz", data: new Uint8Array([1, 2, 3]) }]));
      await expect(restoreBackup({ file, dataDir: path.join(work, "future") })).rejects.toThrow(/comes from a newer Portcullis \(its database has migration 0099_future/);
      expect(await readdir(work)).not.toContain("future");
    });

    it("refuses to back up or restore over a database a running console holds", async () => {
      const held = await openDatabase({ driver: "pglite", dataDir: pgliteDirOf(dataDir) });
      try {
        await expect(createBackup({ env: { PORTCULLIS_DATA_DIR: dataDir }, output: path.join(work, "while-running.pcbackup") })).rejects.toThrow(
          /backup refused: the embedded database .* is in use by a Portcullis console \(pid \d+, since .*\)[\s\S]*stop it \(Ctrl-C where npm start runs\)/,
        );
        await expect(restoreBackup({ file: sound, dataDir, force: true })).rejects.toThrow(/restore refused: the embedded database .* is in use by a Portcullis console/);
        expect(await readdir(work)).not.toContain("while-running.pcbackup");
      } finally {
        await held.close();
      }
    });

    it("says what to do with DATABASE_URL set, without printing the URL", async () => {
      const error = await createBackup({ env: { DATABASE_URL: "postgres://portcullis:hunter2@db.internal:5432/portcullis" } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackupError);
      const message = (error as Error).message;
      expect(message).toMatch(/DATABASE_URL is set: this console keeps its data in PostgreSQL/);
      expect(message).toMatch(/pg_dump --format=custom/);
      expect(message).toMatch(/pg_restore/);
      for (const name of ["PORTCULLIS_ENCRYPTION_KEYS", "PORTCULLIS_BUNDLE_SIGNING_KEY", "PORTCULLIS_EDGE_SECRET", "AUTH_SECRET"]) expect(message).toContain(name);
      expect(message).not.toContain("hunter2");
    });

    it("refuses clearly: no database, an existing output file, a missing backup file", async () => {
      await expect(createBackup({ env: { PORTCULLIS_DATA_DIR: path.join(work, "nothing-here") }, output: path.join(work, "x.pcbackup") })).rejects.toThrow(/no embedded database in .*nothing-here\/pglite: nothing to back up/);
      await expect(createBackup({ env: { PORTCULLIS_DATA_DIR: dataDir }, output: sound })).rejects.toThrow(/sound\.pcbackup exists: a backup never overwrites a file/);
      await expect(restoreBackup({ file: path.join(work, "missing.pcbackup"), dataDir: path.join(work, "m") })).rejects.toThrow(/missing\.pcbackup does not exist/);
    });
  });

  it("names backups by UTC time", () => {
    expect(defaultBackupName(new Date("2026-05-06T09:30:15.123Z"))).toBe("portcullis-backup-20260506T093015Z.pcbackup");
  });
});
