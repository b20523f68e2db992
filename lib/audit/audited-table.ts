import { eq, sql } from "drizzle-orm";
import type { AnyPgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Queryable } from "@/db/client";
import type { Actor } from "../auth/actor";
import { ConflictError, NotFoundError } from "../errors";
import { requireId } from "../ids";
import { recordAudit } from "./record-audit";

type Table = PgTable & { id: AnyPgColumn };
type Row<T extends Table> = T["$inferSelect"];
type Values<T extends Table> = T["$inferInsert"];

/** How one table of named, audited settings (policies, rate limits, budgets, LLM providers) is read and changed. */
export interface AuditedTableSpec<T extends Table, Out> {
  table: T;
  /** The audit entity: actions `${entity}.create|update|delete`, target type `${entity}`. */
  entity: string;
  /** What people call one, for "No such …" (and the id check). */
  noun: string;
  /** The unique name people choose, and the conflict message when it is taken. */
  name: { column: AnyPgColumn; caseInsensitive: boolean; taken: (name: string) => string };
  output: (db: Queryable, row: Row<T>) => Promise<Out>;
  /** What the audit trail keeps of an output: never a secret. */
  auditView: (out: Out) => Record<string, unknown>;
  /** The details key of create and delete rows (`{ [auditKey]: auditView(out) }`). */
  auditKey: string;
}

/**
 * The create/update/delete-with-audit step that every settings table shares, written once: each
 * change writes its audit row in the caller's transaction, so the trail and the change commit
 * together. Verbs authorize and validate first, then call these inside `db.transaction`.
 */
export function auditedTable<T extends Table, Out>(spec: AuditedTableSpec<T, Out>) {
  const { table, entity } = spec;
  const byId = (id: string) => eq(table.id, id);

  async function loadRow(db: Queryable, id: string): Promise<Row<T>> {
    requireId(id, spec.noun);
    const [row] = (await db.select().from(table as PgTable).where(byId(id))) as Row<T>[];
    if (!row) throw new NotFoundError(`No such ${spec.noun}`);
    return row;
  }

  return {
    loadRow,

    /** The row as its output, or NotFoundError. */
    async read(db: Queryable, id: string): Promise<Out> {
      return spec.output(db, await loadRow(db, id));
    },

    /** Throws ConflictError when another row (not `except`) has this name. */
    async assertNameFree(db: Queryable, name: string, except?: string): Promise<void> {
      const column = spec.name.column;
      const match = spec.name.caseInsensitive ? sql`lower(${column}) = ${name.toLowerCase()}` : eq(column, name);
      const [row] = (await db.select({ id: table.id }).from(table as PgTable).where(match)) as { id: string }[];
      if (row && row.id !== except) throw new ConflictError(spec.name.taken(name));
    },

    async insert(tx: Queryable, actor: Actor, values: Values<T>): Promise<Out> {
      const [row] = (await tx.insert(table).values(values).returning()) as Row<T>[];
      const out = await spec.output(tx, row!);
      await recordAudit(tx, actor, { action: `${entity}.create`, targetType: entity, targetId: row!.id as string, details: { [spec.auditKey]: spec.auditView(out) } });
      return out;
    },

    async update(tx: Queryable, actor: Actor, id: string, before: Out, values: Partial<Values<T>>, details: Record<string, unknown> = {}): Promise<Out> {
      const [row] = (await tx.update(table).set(values).where(byId(id)).returning()) as Row<T>[];
      const out = await spec.output(tx, row!);
      await recordAudit(tx, actor, { action: `${entity}.update`, targetType: entity, targetId: id, details: { before: spec.auditView(before), after: spec.auditView(out), ...details } });
      return out;
    },

    /** Deletes the row and answers what it was. */
    async remove(tx: Queryable, actor: Actor, id: string): Promise<Out> {
      const before = await spec.output(tx, await loadRow(tx, id));
      await tx.delete(table).where(byId(id));
      await recordAudit(tx, actor, { action: `${entity}.delete`, targetType: entity, targetId: id, details: { [spec.auditKey]: spec.auditView(before) } });
      return before;
    },
  };
}
