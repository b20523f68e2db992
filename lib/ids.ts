import { NotFoundError } from "./errors";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids reach verbs from URLs and forms; a malformed one is simply not found (and never reaches SQL). */
export function requireId(value: string, what: string): string {
  if (!UUID.test(value)) throw new NotFoundError(`No such ${what}`);
  return value;
}
