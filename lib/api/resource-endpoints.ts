import { z } from "zod";
import type { Permission } from "@core/auth/roles";
import { endpoint, IdParams, NoQuery } from "./endpoint";

type Verb = "list" | "create" | "get" | "update" | "delete";

export interface ResourceSpec<K extends string, O extends z.ZodType, C extends z.ZodType, U extends z.ZodType> {
  /** The collection below /api/v1, e.g. `/rate-limits`; one item is `${path}/{id}`. */
  path: string;
  tag: string;
  /** Operation id stems (`listRateLimits`, `getRateLimit`, …); the list answers `{ [listKey]: [...] }`. */
  name: { one: string; many: string; listKey: K };
  permissions: { read: Permission; manage: Permission };
  schemas: { output: O; create: C; update: U };
  summaries: Record<Verb, string>;
  descriptions?: Partial<Record<Verb, string>>;
}

/**
 * The five contracts of a settings collection (list, create, get, PATCH, DELETE answering the
 * deleted item), written once: each domain states only what differs (names, permissions, schemas,
 * summaries), and every collection follows the same REST shape.
 */
export function resourceEndpoints<K extends string, O extends z.ZodType, C extends z.ZodType, U extends z.ZodType>(spec: ResourceSpec<K, O, C, U>) {
  const { path, tag, name, permissions, schemas, summaries, descriptions = {} } = spec;
  const item = `${path}/{id}`;
  const docs = (verb: Verb) => ({ summary: summaries[verb], ...(descriptions[verb] ? { description: descriptions[verb] } : {}) });
  const listed = z.object({ [name.listKey]: z.array(schemas.output) } as Record<K, z.ZodArray<O>>);
  return {
    list: endpoint({ method: "GET", path, operationId: `list${name.many}`, tag, permission: permissions.read, status: 200, ...docs("list"), query: NoQuery, response: listed }),
    create: endpoint({ method: "POST", path, operationId: `create${name.one}`, tag, permission: permissions.manage, status: 201, ...docs("create"), query: NoQuery, body: schemas.create, response: schemas.output }),
    get: endpoint({ method: "GET", path: item, operationId: `get${name.one}`, tag, permission: permissions.read, status: 200, ...docs("get"), params: IdParams, query: NoQuery, response: schemas.output }),
    update: endpoint({ method: "PATCH", path: item, operationId: `update${name.one}`, tag, permission: permissions.manage, status: 200, ...docs("update"), params: IdParams, query: NoQuery, body: schemas.update, response: schemas.output }),
    delete: endpoint({ method: "DELETE", path: item, operationId: `delete${name.one}`, tag, permission: permissions.manage, status: 200, ...docs("delete"), params: IdParams, query: NoQuery, response: schemas.output }),
  };
}
