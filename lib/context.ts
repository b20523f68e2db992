import type { Database } from "@/db/client";
import type { Actor } from "./auth/actor";

/** What every verb receives: the database and who is acting. */
export interface Ctx {
  db: Database;
  actor: Actor;
}
