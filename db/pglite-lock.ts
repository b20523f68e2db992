/**
 * Who has the embedded database open. PGlite serves one process and takes no lock of its own: its
 * `postmaster.pid` names pid -42, stays behind whenever a process exits without close(), and a
 * second process opens the same folder without complaint — then each loses the other's writes
 * (tried: two processes inserting into one folder saw different row counts). So every process that
 * opens a folder (the console, `npm run backup`, `npm run restore`) first creates
 * `<folder>.lock` naming itself, and refuses while another live process holds it.
 */
import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import os from "node:os";

export interface LockOwner {
  pid: number;
  host: string;
  /** What holds it, for the message another process shows: "the console", "npm run backup". */
  purpose: string;
  since: string;
  /** Linux: the process's start time (ticks after boot), so a recycled pid is not taken for the owner. */
  processStart?: string;
  token: string;
}

export class DatabaseInUseError extends Error {
  constructor(
    readonly lockFile: string,
    readonly owner: LockOwner,
  ) {
    const where = owner.host === os.hostname() ? `pid ${owner.pid}` : `pid ${owner.pid} on host ${owner.host}`;
    super(
      `the embedded database ${lockFile.replace(/\.lock$/, "")} is in use by ${owner.purpose} (${where}, since ${owner.since}). ` +
        `PGlite serves one process at a time: stop that process first. If it is no longer running, delete ${lockFile}.`,
    );
    this.name = "DatabaseInUseError";
  }
}

export const lockFileOf = (pgliteDir: string): string => `${pgliteDir}.lock`;

/** Locks this process holds, by file: a second open in the same process is refused too. */
const held = new Map<string, string>();

function processStartOf(pid: number): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces, so count after its ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function readOwner(file: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(file, "utf8")) as LockOwner;
    return Number.isInteger(owner.pid) && owner.pid > 0 && typeof owner.host === "string" ? owner : null;
  } catch {
    return null;
  }
}

function isLive(file: string, owner: LockOwner): boolean {
  // Another machine's process cannot be checked from here (a shared volume): assume it runs.
  if (owner.host !== os.hostname()) return true;
  // Our own pid: live only if this process took it (a container's console is pid 1 after every restart).
  if (owner.pid === process.pid) return held.get(file) === owner.token;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const start = processStartOf(owner.pid);
  return !(start && owner.processStart && start !== owner.processStart);
}

/** The live process holding `pgliteDir`, or null when nobody does (no lock, or one left by a process that is gone). */
export function databaseLockOwner(pgliteDir: string): LockOwner | null {
  const file = lockFileOf(pgliteDir);
  const owner = readOwner(file);
  return owner && isLive(file, owner) ? owner : null;
}

/**
 * Takes the lock on `pgliteDir` for this process, or throws DatabaseInUseError naming the live
 * holder. A lock left by a process that is gone is replaced. Returns the release function (also
 * run at process exit).
 */
export function acquireDatabaseLock(pgliteDir: string, purpose: string): () => void {
  const file = lockFileOf(pgliteDir);
  const me: LockOwner = { pid: process.pid, host: os.hostname(), purpose, since: new Date().toISOString(), processStart: processStartOf(process.pid), token: randomBytes(12).toString("hex") };
  // Written aside and hard-linked into place: the lock appears whole or not at all.
  const tmp = `${file}.${process.pid}.${me.token}.tmp`;
  writeFileSync(tmp, JSON.stringify(me) + "\n", { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const owner = readOwner(file);
      if (owner && isLive(file, owner)) throw new DatabaseInUseError(file, owner);
      if (attempt > 0) throw new Error(`could not take ${file}: another process is taking it at the same moment; try again`);
      rmSync(file, { force: true });
    }
  } finally {
    unlinkSync(tmp);
  }
  held.set(file, me.token);
  const release = () => {
    process.off("exit", release);
    if (held.get(file) !== me.token) return;
    held.delete(file);
    if (readOwner(file)?.token === me.token) unlinkSync(file);
  };
  process.on("exit", release);
  return release;
}
