import { forbidden, redirect } from "next/navigation";
import { getDb } from "@/db/client";
import { can, type Actor } from "./actor";
import type { Permission } from "@core/auth/roles";
import { currentActor } from "./session";
import type { Ctx } from "../context";

/**
 * The one session check for pages: no session → sign-in page; signed in without the
 * permission → 403 (app/forbidden.tsx).
 */
export async function requirePage(permission?: Permission): Promise<Ctx & { actor: Actor }> {
  const actor = await currentActor();
  if (!actor) redirect("/sign-in");
  if (permission && !can(actor, permission)) forbidden();
  return { db: await getDb(), actor };
}
