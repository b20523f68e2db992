import { PgDialect } from "drizzle-orm/pg-core";
import type { SQL } from "drizzle-orm";
import type { Queryable } from "./client";

/**
 * One connection of node-postgres's pool in pipeline mode: a statement is written to the server as
 * soon as it is sent, behind the ones still running, so the server starts the next the moment the
 * last ends instead of waiting a round trip (and the event loop) for it. Each statement is its own
 * implicit transaction (node-postgres ends each with a Sync): one that fails changes nothing of the
 * others. Held while statements flow; `release` gives the connection back to the pool.
 */
export interface Pipeline {
  /** Writes the statement now; resolves with its rows when the server has answered (and committed). */
  query<Row>(statement: SQL): Promise<Row[]>;
  /** Whether the connection was lost: every statement sent from now on fails; release it. */
  readonly lost: boolean;
  /** Gives the connection back to the pool. Only once nothing sent is unanswered. */
  release(): void;
}

/** What this needs of a node-postgres pool client (pg ≥ 8.23 has `pipeline`). */
interface PipelineClient {
  pipeline?: unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
  query(config: { text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
  release(error?: Error | boolean): void;
}

const dialect = new PgDialect();
/** Pools whose clients turned out to have no pipeline mode (Neon's): not asked again. */
const withoutPipeline = new WeakSet<object>();

/**
 * A pipeline on a connection of `db`'s pool; null where the driver has none (PGlite, which runs one
 * statement at a time anyway, and Neon's pool, whose client has no pipeline mode), and for an open
 * transaction (its connection is not the pool's to lend).
 */
export async function openPipeline(db: Queryable): Promise<Pipeline | null> {
  const pool = (db as { $client?: { connect?: unknown; totalCount?: unknown } }).$client;
  // node-postgres's Pool, not a client (a transaction) nor PGlite: a pool counts its connections.
  if (!pool || typeof pool.connect !== "function" || typeof pool.totalCount !== "number" || withoutPipeline.has(pool)) return null;
  const client = (await (pool.connect as () => Promise<PipelineClient>).call(pool)) as PipelineClient;
  if (typeof client.pipeline !== "boolean") {
    withoutPipeline.add(pool);
    client.release();
    return null;
  }
  // The pool's other users never see this mode: it is set while the client is lent to us, and
  // unset before it goes back (node-postgres reads it at each query).
  client.pipeline = true;
  // A lent client reports a lost connection (the server ended it, the network failed) as an "error"
  // event, which with no listener crashes the process; its statements fail with the same error. A
  // failed statement leaves the connection as it was; a lost one is destroyed on release.
  let broken: Error | undefined;
  const lost = (error: Error) => {
    broken = error;
  };
  client.on("error", lost);
  return {
    get lost() {
      return broken !== undefined;
    },
    async query<Row>(statement: SQL) {
      const { sql: text, params } = dialect.sqlToQuery(statement);
      try {
        return (await client.query({ text, values: params })).rows as Row[];
      } catch (error) {
        // Not the statement's own failure (a SQLSTATE but a lost connection's, 08… or 57P…): the connection's.
        const code = (error as { code?: unknown }).code;
        if (typeof code !== "string" || /^(08|57P)/.test(code)) broken ??= error as Error;
        throw error;
      }
    },
    release() {
      client.off("error", lost);
      client.pipeline = false;
      client.release(broken ?? false);
    },
  };
}
