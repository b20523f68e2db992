import { sql } from "drizzle-orm";
import { getDb } from "@/db/client";

/** Liveness and database readiness, for load balancers; reveals nothing about the data. */
export async function GET(): Promise<Response> {
  try {
    await (await getDb()).execute(sql`select 1`);
    return Response.json({ status: "ok" }, { headers: { "cache-control": "no-store" } });
  } catch {
    return Response.json({ status: "unavailable" }, { status: 503, headers: { "cache-control": "no-store" } });
  }
}
