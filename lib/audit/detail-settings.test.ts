import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { auditLog, mcpEvents } from "@/db/schema";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { makeUser } from "@/testing/users";
import { makeEvent } from "@/testing/events";
import { generateEdgeSecret, parseEdgeSecrets } from "@core/edge/secret";
import { ConfigBundle } from "@core/bundle/schema";
import { ForbiddenError } from "../errors";
import { bundleContentHash, compileBundle } from "../config/compile-bundle";
import { getAuditDetail, updateAuditDetail } from "./detail-settings";
import { listEvents } from "./list-events";

describe.each(testDatabases())("audit detail setting (%s)", (kind) => {
  const { db } = useTestDatabase(kind);

  it("starts masked, is changed by security and admins only, audited, and reaches the bundle (absent at the default)", async () => {
    const security = await makeUser(db, "security");
    const member = await makeUser(db, "member");
    const edgeSecrets = await parseEdgeSecrets(generateEdgeSecret());
    const compile = async () => (await compileBundle(db, { version: 1, issuer: "x", edgeSecrets, issuedAt: new Date("2026-12-06T00:00:00Z") })).bundle;

    expect(await getAuditDetail({ db, actor: member })).toEqual({ detail: "masked", updatedAt: null });
    const before = await compile();
    expect(before.audit).toBeUndefined();

    await expect(updateAuditDetail({ db, actor: member }, { detail: "off" })).rejects.toThrow(ForbiddenError);
    await expect(updateAuditDetail({ db, actor: security }, { detail: "everything" })).rejects.toThrow(ZodError);
    expect(await updateAuditDetail({ db, actor: security }, { detail: "off" })).toMatchObject({ detail: "off" });
    const [entry] = await db.select().from(auditLog).where(eq(auditLog.action, "portal.audit_detail"));
    expect(entry!.details).toEqual({ from: "masked", to: "off" });
    const after = await compile();
    expect(ConfigBundle.parse(after).audit).toEqual({ detail: "off" });
    expect(await bundleContentHash(after)).not.toBe(await bundleContentHash(before));

    // Back at the default: the bundle is as it was.
    await updateAuditDetail({ db, actor: security }, { detail: "masked" });
    expect(await bundleContentHash(await compile())).toBe(await bundleContentHash(before));
  });

  it("stores and lists a call's arguments and result excerpt", async () => {
    const security = await makeUser(db, "security");
    const event = makeEvent({ time: "2031-01-01T00:00:00.000Z", arguments: '{"city":"Paris","apiKey":"[redacted]"}', resultExcerpt: "Sunny, 21 °C" });
    await db.insert(mcpEvents).values(event);
    const [listed] = (await listEvents({ db, actor: security }, { from: "2031-01-01T00:00:00.000Z", to: "2031-01-02T00:00:00.000Z" })).events;
    expect(listed).toMatchObject({ id: event.id, arguments: event.arguments, resultExcerpt: event.resultExcerpt });
  });
});
