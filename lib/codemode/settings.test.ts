import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { auditLog } from "@/db/schema";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { makeUser } from "@/testing/users";
import { generateEdgeSecret, parseEdgeSecrets } from "@core/edge/secret";
import { ConfigBundle } from "@core/bundle/schema";
import { ForbiddenError } from "../errors";
import { compileBundle, bundleContentHash } from "../config/compile-bundle";
import { getCodemodeSettings, updateCodemodeSettings } from "./settings";

describe.each(testDatabases())("Code Mode setting (%s)", (kind) => {
  const { db } = useTestDatabase(kind);

  it("starts off, is changed by admins only, audited, and reaches the bundle (absent while off)", async () => {
    const admin = await makeUser(db, "admin");
    const member = await makeUser(db, "member");
    const edgeSecrets = await parseEdgeSecrets(generateEdgeSecret());
    const compile = async () => (await compileBundle(db, { version: 1, issuer: "x", edgeSecrets, issuedAt: new Date("2026-12-06T00:00:00Z") })).bundle;

    expect(await getCodemodeSettings({ db, actor: member })).toEqual({ mode: "off", shape: "search_and_execute", updatedAt: null });
    const before = await compile();
    expect(before.codemode).toBeUndefined();

    await expect(updateCodemodeSettings({ db, actor: member }, { mode: "enforced", shape: "code" })).rejects.toThrow(ForbiddenError);
    await expect(updateCodemodeSettings({ db, actor: admin }, { mode: "always", shape: "code" })).rejects.toThrow(ZodError);
    const saved = await updateCodemodeSettings({ db, actor: admin }, { mode: "default", shape: "code" });
    expect(saved).toMatchObject({ mode: "default", shape: "code" });
    expect(await getCodemodeSettings({ db, actor: member })).toMatchObject({ mode: "default", shape: "code" });
    const [entry] = await db.select().from(auditLog).where(eq(auditLog.action, "portal.codemode"));
    expect(entry!.details).toEqual({ from: { mode: "off", shape: "search_and_execute" }, to: { mode: "default", shape: "code" } });

    const after = await compile();
    expect(ConfigBundle.parse(after).codemode).toEqual({ mode: "default", shape: "code" });
    expect(await bundleContentHash(after)).not.toBe(await bundleContentHash(before));

    // Off again: the bundle is as it was before Code Mode was ever set.
    await updateCodemodeSettings({ db, actor: admin }, { mode: "off", shape: "code" });
    expect(await bundleContentHash(await compile())).toBe(await bundleContentHash(before));
  });
});
