import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { auditLog } from "@/db/schema";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { makeUser } from "@/testing/users";
import { generateEdgeSecret, parseEdgeSecrets } from "@core/edge/secret";
import { ConfigBundle } from "@core/bundle/schema";
import { ForbiddenError, NotFoundError } from "../errors";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { registerServer } from "../servers/register-server";
import { approveServer } from "../servers/approve-server";
import { setToolApproval } from "../servers/set-tool-approval";
import { compileBundle, bundleContentHash, summarize } from "../config/compile-bundle";
import { getCodemodeSettings, updateCodemodeSettings } from "./settings";

describe.each(testDatabases())("Code Mode setting (%s)", (kind) => {
  const { db } = useTestDatabase(kind);

  it("starts off, is changed by admins only, audited, and reaches the bundle (absent while off)", async () => {
    const admin = await makeUser(db, "admin");
    const member = await makeUser(db, "member");
    const edgeSecrets = await parseEdgeSecrets(generateEdgeSecret());
    const compile = async () => (await compileBundle(db, { version: 1, issuer: "x", edgeSecrets, issuedAt: new Date("2026-12-06T00:00:00Z") })).bundle;

    expect(await getCodemodeSettings({ db, actor: member })).toEqual({ mode: "off", shape: "search_and_execute", approval: "flagged", updatedAt: null });
    const before = await compile();
    expect(before.codemode).toBeUndefined();

    await expect(updateCodemodeSettings({ db, actor: member }, { mode: "enforced", shape: "code" })).rejects.toThrow(ForbiddenError);
    await expect(updateCodemodeSettings({ db, actor: admin }, { mode: "always", shape: "code" })).rejects.toThrow(ZodError);
    const saved = await updateCodemodeSettings({ db, actor: admin }, { mode: "default", shape: "code" });
    expect(saved).toMatchObject({ mode: "default", shape: "code" });
    expect(await getCodemodeSettings({ db, actor: member })).toMatchObject({ mode: "default", shape: "code" });
    const [entry] = await db.select().from(auditLog).where(eq(auditLog.action, "portal.codemode"));
    expect(entry!.details).toEqual({ from: { mode: "off", shape: "search_and_execute", approval: "flagged" }, to: { mode: "default", shape: "code", approval: "flagged" } });

    const after = await compile();
    expect(ConfigBundle.parse(after).codemode).toEqual({ mode: "default", shape: "code" });
    expect(summarize(after, [])).toMatchObject({ codemode: "default", blocks: 0 });
    expect(summarize(before, [])).not.toHaveProperty("codemode");
    expect(await bundleContentHash(after)).not.toBe(await bundleContentHash(before));

    // Off again: the bundle is as it was before Code Mode was ever set.
    await updateCodemodeSettings({ db, actor: admin }, { mode: "off", shape: "code" });
    expect(await bundleContentHash(await compile())).toBe(await bundleContentHash(before));
  });

  it("marks the tools whose calls from Code Mode ask for approval: the tool's flag, else the portal's rule, and none while Code Mode is off", async () => {
    const admin = await makeUser(db, "admin");
    const approver = await makeUser(db, "approver");
    const member = await makeUser(db, "member");
    const edgeSecrets = await parseEdgeSecrets(generateEdgeSecret());
    const upstream = await startMutableServer({ port: 0 });
    try {
      const server = await registerServer({ db, actor: admin }, { name: "Weather", slug: `wx-${crypto.randomUUID().slice(0, 6)}`, url: upstream.url, justification: "approval test" });
      await approveServer({ db, actor: admin }, server.id, { reason: "ok" });
      const tools = async () => {
        const { bundle } = await compileBundle(db, { version: 1, issuer: "x", edgeSecrets });
        return Object.fromEntries(bundle.servers.find((s) => s.id === server.id)!.tools.map((t) => [t.name, t.approval === true]));
      };
      await updateCodemodeSettings({ db, actor: admin }, { mode: "off", shape: "search_and_execute", approval: "writes" });
      expect(Object.values(await tools()).some(Boolean)).toBe(false);

      await updateCodemodeSettings({ db, actor: admin }, { mode: "opt-in", shape: "search_and_execute", approval: "writes" });
      // None of the fixture's tools says readOnlyHint (the annotations' cases: lib/core/codemode/approval.test.ts).
      expect(await tools()).toMatchObject({ get_weather: true, list_forecasts: true, delete_station: true });

      await expect(setToolApproval({ db, actor: member }, server.id, "delete_station", { approval: "never" })).rejects.toThrow(ForbiddenError);
      await expect(setToolApproval({ db, actor: approver }, server.id, "nope", { approval: "never" })).rejects.toThrow(NotFoundError);
      await expect(setToolApproval({ db, actor: approver }, server.id, "delete_station", { approval: "sometimes" })).rejects.toThrow(ZodError);
      await setToolApproval({ db, actor: approver }, server.id, "list_forecasts", { approval: "never" });
      await setToolApproval({ db, actor: approver }, server.id, "get_weather", { approval: "ask" });
      expect(await tools()).toMatchObject({ get_weather: true, list_forecasts: false, delete_station: true });

      await updateCodemodeSettings({ db, actor: admin }, { mode: "opt-in", shape: "search_and_execute", approval: "flagged" });
      expect(await tools()).toMatchObject({ get_weather: true, list_forecasts: false, delete_station: false });
      await setToolApproval({ db, actor: approver }, server.id, "get_weather", { approval: "default" });
      expect(Object.values(await tools()).some(Boolean)).toBe(false);
      expect((await db.select().from(auditLog).where(eq(auditLog.action, "server.tool-approval"))).length).toBe(3);
    } finally {
      await upstream.close();
    }
  });
});
