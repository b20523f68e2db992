import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquireDatabaseLock, databaseLockOwner, DatabaseInUseError, lockFileOf } from "./pglite-lock";

describe("the embedded database lock", () => {
  let dir: string;
  let n = 0;
  const freshDb = () => path.join(dir, `db${n++}`);
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "pc-lock-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** A lock file as another process would have written it. */
  const writeLock = (db: string, owner: Record<string, unknown>) =>
    writeFileSync(lockFileOf(db), JSON.stringify({ host: os.hostname(), purpose: "a Portcullis console", since: "2026-01-01T00:00:00.000Z", token: "theirs", ...owner }));
  const startOf = (pid: number) => {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  };

  it("is held until released, and a second open in the same process is refused", () => {
    const db = freshDb();
    const release = acquireDatabaseLock(db, "npm run backup");
    expect(databaseLockOwner(db)).toMatchObject({ pid: process.pid, purpose: "npm run backup" });
    expect(() => acquireDatabaseLock(db, "a Portcullis console")).toThrow(DatabaseInUseError);
    release();
    expect(existsSync(lockFileOf(db))).toBe(false);
    expect(databaseLockOwner(db)).toBeNull();
    acquireDatabaseLock(db, "a Portcullis console")();
  });

  it("refuses while another live process holds it, naming it and what to do", () => {
    const db = freshDb();
    // The test runner's parent: alive for the whole test.
    writeLock(db, { pid: process.ppid, processStart: startOf(process.ppid) });
    expect(() => acquireDatabaseLock(db, "npm run backup")).toThrow(
      new RegExp(`is in use by a Portcullis console \\(pid ${process.ppid}, since 2026-01-01T00:00:00.000Z\\)\\. PGlite serves one process at a time: stop that process first\\. If it is no longer running, delete .*db\\d+\\.lock`),
    );
    expect(JSON.parse(readFileSync(lockFileOf(db), "utf8")).token).toBe("theirs");
  });

  it("refuses a lock from another host, which it cannot check", () => {
    const db = freshDb();
    writeLock(db, { pid: process.pid, host: "another-host" });
    expect(() => acquireDatabaseLock(db, "npm run backup")).toThrow(/pid \d+ on host another-host/);
  });

  it("replaces a lock left by a process that is gone, by a recycled pid, or by an earlier run of this pid", async () => {
    const child = spawn(process.execPath, ["-e", ""]);
    await once(child, "exit");
    const cases = [
      { pid: child.pid }, // exited
      { pid: process.ppid, processStart: "1" }, // the pid now belongs to another process
      { pid: process.pid, processStart: startOf(process.pid) }, // ours, but this process never took it (a container's pid 1 after a restart)
      { garbage: true }, // unreadable
    ];
    for (const owner of cases) {
      const db = freshDb();
      writeLock(db, owner);
      expect(databaseLockOwner(db), JSON.stringify(owner)).toBeNull();
      const release = acquireDatabaseLock(db, "npm run backup");
      expect(JSON.parse(readFileSync(lockFileOf(db), "utf8")).pid).toBe(process.pid);
      release();
    }
  });

  it("release leaves alone a lock that another process took over", () => {
    const db = freshDb();
    const release = acquireDatabaseLock(db, "npm run backup");
    writeLock(db, { pid: process.ppid, processStart: startOf(process.ppid) });
    release();
    expect(JSON.parse(readFileSync(lockFileOf(db), "utf8")).token).toBe("theirs");
  });
});
