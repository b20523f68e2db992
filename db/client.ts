/**
 * The one place a database client is made. The driver follows the environment:
 * - no DATABASE_URL: embedded PGlite, file-backed under `$PORTCULLIS_DATA_DIR/pglite` (default `.data`),
 *   held by one process at a time (db/pglite-lock.ts);
 * - DATABASE_DRIVER=neon or a `*.neon.tech` host: @neondatabase/serverless over WebSockets;
 * - any other postgres:// URL: node-postgres.
 * Migrations in db/migrations are applied before the client is handed out.
 */
import path from "node:path";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { acquireDatabaseLock } from "./pglite-lock";
import * as schema from "./schema";

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
/** Anything that can run queries: the database or an open transaction. */
export type Queryable = Database | Transaction;

export type DatabaseTarget =
  | { driver: "pglite"; dataDir: string | undefined }
  | { driver: "pg"; url: string }
  | { driver: "neon"; url: string };

export interface OpenDatabase {
  db: Database;
  target: DatabaseTarget;
  close: () => Promise<void>;
}

export const MIGRATIONS_FOLDER = path.join(/*turbopackIgnore: true*/ process.cwd(), "db", "migrations");
/** Arbitrary constant: serialises migrations when several console processes start at once. */
const MIGRATION_LOCK_ID = 724_190_113;

export function dataDir(env: Record<string, string | undefined> = process.env): string {
  // The data folder is chosen at run time; nothing in it belongs in the build output.
  return path.resolve(/*turbopackIgnore: true*/ env.PORTCULLIS_DATA_DIR || ".data");
}

/** Where the embedded database lives inside the data folder. */
export const pgliteDirOf = (dataDirPath: string): string => path.join(dataDirPath, "pglite");

export function resolveDatabaseTarget(env: Record<string, string | undefined> = process.env): DatabaseTarget {
  const url = env.DATABASE_URL?.trim();
  if (!url) return { driver: "pglite", dataDir: pgliteDirOf(dataDir(env)) };
  if (url === "memory://") return { driver: "pglite", dataDir: undefined };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("DATABASE_URL is not a valid URL (expected postgres://user:password@host:5432/db)");
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new Error(`DATABASE_URL must start with postgres:// or postgresql:// (got ${parsed.protocol}//)`);
  }
  const driver = env.DATABASE_DRIVER?.trim().toLowerCase();
  if (driver && driver !== "neon" && driver !== "pg") {
    throw new Error(`DATABASE_DRIVER must be "pg" or "neon" (got "${driver}")`);
  }
  if (driver === "neon" || (!driver && parsed.hostname.endsWith(".neon.tech"))) return { driver: "neon", url };
  return { driver: "pg", url };
}

interface LockClient {
  query(sql: string, params: unknown[]): Promise<unknown>;
  release(): void;
}

async function underMigrationLock(client: LockClient, run: () => Promise<void>): Promise<void> {
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_ID]);
    await run();
  } finally {
    await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_ID]).catch(() => undefined);
    client.release();
  }
}

/** What opening needs of a pg-compatible pool: node-postgres's, and Neon's serverless one. */
interface PgCompatiblePool {
  end(): Promise<void>;
  on(event: "error", listener: (error: Error) => void): unknown;
}

/**
 * The pg and Neon drivers: migrations on one connection of the pool (`connect`, the pool's own
 * method: both drivers overload it, so TypeScript learns the client's type only from a call) under
 * the migration lock, then a database on the whole pool.
 *
 * A pool emits "error" when an idle connection is lost (the server restarted, an administrator
 * ended it); with no listener that event crashes the process. Log it instead: the pool drops the
 * connection and the next query opens a new one. After close() the server may still end
 * connections the pool has already let go of (they close asynchronously), which is expected.
 */
async function openPool<Pool extends PgCompatiblePool, Client extends LockClient, Db>(
  target: DatabaseTarget,
  pool: Pool,
  connect: () => Promise<Client>,
  drizzle: (client: Client | Pool, config: { schema: typeof schema }) => Db,
  migrate: (db: Db, config: { migrationsFolder: string }) => Promise<void>,
): Promise<OpenDatabase> {
  let closed = false;
  pool.on("error", (error) => {
    if (!closed) console.error(`[db] an idle database connection was lost: ${error.message}`);
  });
  const lockClient = await connect();
  await underMigrationLock(lockClient, () =>
    migrate(drizzle(lockClient, { schema }), { migrationsFolder: MIGRATIONS_FOLDER }),
  );
  const db = drizzle(pool, { schema });
  return {
    db: db as unknown as Database,
    target,
    close: () => {
      closed = true;
      return pool.end();
    },
  };
}

export async function openDatabase(target: DatabaseTarget): Promise<OpenDatabase> {
  if (target.driver === "pglite") {
    const [{ PGlite }, { drizzle }, { migrate }] = await Promise.all([
      import("@electric-sql/pglite"),
      import("drizzle-orm/pglite"),
      import("drizzle-orm/pglite/migrator"),
    ]);
    let release = () => {};
    if (target.dataDir) {
      const { mkdir } = await import("node:fs/promises");
      await mkdir(target.dataDir, { recursive: true });
      release = acquireDatabaseLock(target.dataDir, "a Portcullis console");
    }
    const client = new PGlite(target.dataDir);
    const close = () => client.close().finally(release);
    try {
      const db = drizzle(client, { schema });
      await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
      return { db: db as unknown as Database, target, close };
    } catch (error) {
      await close().catch(() => undefined);
      throw error;
    }
  }

  if (target.driver === "pg") {
    const [{ default: pg }, { drizzle }, { migrate }] = await Promise.all([
      import("pg"),
      import("drizzle-orm/node-postgres"),
      import("drizzle-orm/node-postgres/migrator"),
    ]);
    // The console's reads are many small ones at once (a page runs ten in parallel over rollups):
    // parallel workers only add process start-ups to them. At ten million events, with them off, the
    // Usage page took half the time on two cores (bench/events/README.md). PORTCULLIS_PG_PARALLEL_WORKERS
    // sets another number; `server` keeps the server's own (needed behind a pooler that refuses startup
    // options); an `options` parameter in DATABASE_URL wins over both.
    const workers = process.env.PORTCULLIS_PG_PARALLEL_WORKERS ?? "0";
    if (workers !== "server" && !/^\d{1,3}$/.test(workers)) throw new Error(`PORTCULLIS_PG_PARALLEL_WORKERS must be a number of workers or "server", not ${JSON.stringify(workers)}`);
    const pool = new pg.Pool({ connectionString: target.url, max: 10, ...(workers === "server" ? {} : { options: `-c max_parallel_workers_per_gather=${Number(workers)}` }) });
    return openPool(target, pool, () => pool.connect(), drizzle, migrate);
  }

  const [{ Pool, neonConfig }, { drizzle }, { migrate }, { default: ws }] = await Promise.all([
    import("@neondatabase/serverless"),
    import("drizzle-orm/neon-serverless"),
    import("drizzle-orm/neon-serverless/migrator"),
    import("ws"),
  ]);
  // Node 20 has no global WebSocket; the Neon driver needs one for its Pool.
  neonConfig.webSocketConstructor = ws;
  const pool = new Pool({ connectionString: target.url });
  return openPool(target, pool, () => pool.connect(), drizzle, migrate);
}

// One client per process, kept on globalThis so Next's module reloading does not open a second
// PGlite on the same folder (PGlite is single-process and a second instance would not see writes).
const globalKey = Symbol.for("portcullis.db");
type GlobalWithDb = typeof globalThis & { [globalKey]?: Promise<OpenDatabase> };

export function getOpenDatabase(): Promise<OpenDatabase> {
  const g = globalThis as GlobalWithDb;
  if (!g[globalKey]) {
    g[globalKey] = openDatabase(resolveDatabaseTarget()).catch((error: unknown) => {
      delete g[globalKey];
      throw error;
    });
  }
  return g[globalKey];
}

export async function getDb(): Promise<Database> {
  return (await getOpenDatabase()).db;
}

/** Tests hand their own database to code that calls getDb(). */
export function useDatabaseForTesting(open: OpenDatabase | undefined): void {
  const g = globalThis as GlobalWithDb;
  if (open) g[globalKey] = Promise.resolve(open);
  else delete g[globalKey];
}
