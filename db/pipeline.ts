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
  /**
   * Writes rows into tables with `COPY … FROM STDIN` (text format), then `then`, as one implicit
   * transaction (one simple query): all of it commits or none. Resolves with `then`'s rows.
   */
  copy<Row>(copies: readonly CopyIn[], then: SQL): Promise<Row[]>;
  /** Whether the connection was lost: every statement sent from now on fails; release it. */
  readonly lost: boolean;
  /** Gives the connection back to the pool. Only once nothing sent is unanswered. */
  release(): void;
}

/** Rows for one table: each a line of its values in COPY's text format (`copyValue`), separated by tabs. */
export interface CopyIn {
  table: string;
  columns: readonly string[];
  /** The lines, each ending with a newline. */
  data: string;
}

/** What this needs of a node-postgres pool client (pg ≥ 8.23 has `pipeline`). */
interface PipelineClient {
  pipeline?: unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
  query(config: { text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
  query(submittable: object): unknown;
  release(error?: Error | boolean): void;
}

/** What a submitted query writes with (node-postgres's Connection). */
interface Connection {
  stream: { cork?: () => void; uncork?: () => void };
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}
type Results = { rows: unknown[] } | { rows: unknown[] }[];
type QueryClass = new (config: { text: string }, values: undefined, callback: (error: Error | undefined, results: Results) => void) => object;

/**
 * A simple query whose `COPY … FROM STDIN` data is written with it, at once, not when the server asks
 * for it: so it can wait in the pipeline behind the running statement like any other (node-postgres
 * refuses a query class of its own there, so this is one of its `Query`). The server reads the data
 * when it reaches each COPY; if a statement fails first, it drops the data left (the protocol says so)
 * and the whole query is rolled back.
 */
let CopyQuery: (new (text: string, chunks: Buffer[], callback: (error: Error | undefined, results: Results) => void) => object) | undefined;
function copyQueryClass(Query: QueryClass) {
  return (CopyQuery ??= class extends Query {
    constructor(
      text: string,
      private readonly chunks: Buffer[],
      callback: (error: Error | undefined, results: Results) => void,
    ) {
      super({ text }, undefined, callback);
    }
    submit(connection: Connection) {
      connection.stream.cork?.();
      try {
        connection.query((this as unknown as { text: string }).text);
        for (const chunk of this.chunks) {
          if (chunk.length > 0) connection.sendCopyFromChunk(chunk);
          connection.endCopyFrom();
        }
      } finally {
        connection.stream.uncork?.();
      }
      return null;
    }
    /** The data went with the query (node-postgres's own would fail the COPY: it has no stream). */
    handleCopyInResponse() {}
  });
}

/** One value in COPY's text format: `\N` for null; `\`, newline, carriage return and tab escaped. */
export function copyValue(text: string | null): string {
  if (text === null) return "\\N";
  return /[\\\n\r\t]/.test(text) ? text.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]!) : text;
}
const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

const dialect = new PgDialect();
const quoteIdentifier = (name: string) => `"${name.replace(/"/g, '""')}"`;
/** Pools whose clients turned out to have no pipeline mode (Neon's): not asked again. */
const withoutPipeline = new WeakSet<object>();

/** `db`'s pool if it may lend a pipeline (`openPipeline` finds out for sure). */
function pipelinePool(db: Queryable): { connect: unknown } | null {
  const pool = (db as { $client?: { connect?: unknown; totalCount?: unknown } }).$client;
  // node-postgres's Pool, not a client (a transaction) nor PGlite: a pool counts its connections.
  if (!pool || typeof pool.connect !== "function" || typeof pool.totalCount !== "number" || withoutPipeline.has(pool)) return null;
  return pool as { connect: unknown };
}

/** Whether `db` may lend a pipeline: false for PGlite, a transaction, and a pool found to have none. */
export const mayPipeline = (db: Queryable) => pipelinePool(db) !== null;

/**
 * A pipeline on a connection of `db`'s pool; null where the driver has none (PGlite, which runs one
 * statement at a time anyway, and Neon's pool, whose client has no pipeline mode), and for an open
 * transaction (its connection is not the pool's to lend).
 */
export async function openPipeline(db: Queryable): Promise<Pipeline | null> {
  const pool = pipelinePool(db);
  if (!pool) return null;
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
  const fail = (error: unknown) => {
    // Not the statement's own failure (a SQLSTATE but a lost connection's, 08… or 57P…): the connection's.
    const code = (error as { code?: unknown }).code;
    if (typeof code !== "string" || /^(08|57P)/.test(code)) broken ??= error as Error;
    throw error;
  };
  const Copy = copyQueryClass(((await import("pg")).default as unknown as { Query: QueryClass }).Query);
  return {
    get lost() {
      return broken !== undefined;
    },
    async query<Row>(statement: SQL) {
      const { sql: text, params } = dialect.sqlToQuery(statement);
      return client.query({ text, values: params }).then((result) => result.rows as Row[], fail);
    },
    copy<Row>(copies: readonly CopyIn[], then: SQL) {
      const text = [
        ...copies.map((c) => `copy ${quoteIdentifier(c.table)} (${c.columns.map(quoteIdentifier).join(", ")}) from stdin`),
        // One simple query carries no parameters: `then`'s are written into its text.
        dialect.sqlToQuery(then.inlineParams()).sql,
      ].join("; ");
      return new Promise<Row[]>((resolve, reject) => {
        client.query(
          new Copy(
            text,
            copies.map((c) => Buffer.from(c.data)),
            (error, results) => {
              if (error) return reject(error);
              const last = Array.isArray(results) ? results[results.length - 1] : results;
              resolve((last?.rows ?? []) as Row[]);
            },
          ),
        );
      }).catch(fail);
    },
    release() {
      client.off("error", lost);
      client.pipeline = false;
      client.release(broken ?? false);
    },
  };
}
