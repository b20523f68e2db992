import { afterEach, describe, expect, it, vi } from "vitest";
import type { Actor } from "@/lib/auth/actor";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { makeUser } from "@/testing/users";
import { POST } from "./route";

const session = vi.hoisted(() => ({ actor: null as Actor | null }));
vi.mock("@/lib/auth/session", () => ({ currentActor: async () => session.actor }));

describe.each(testDatabases())("the console's traffic upload on $name", (database) => {
  const { db } = useTestDatabase(database, { getDb: true });
  afterEach(() => vi.restoreAllMocks());

  const post = (body: string) => POST(new Request("http://console.test/shadow/upload?filename=log.ndjson", { method: "POST", headers: { "content-type": "application/x-ndjson" }, body }));

  it("answers an empty upload with a 400 that says what to send, and logs nothing (a caller's mistake is not a server failure)", async () => {
    session.actor = await makeUser(db, "admin");
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await post("");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^The upload is empty \((0 bytes|no body)\), so nothing was scanned\. Send NDJSON, one JSON log record per line/);
    const allBad = await post("<html>\n<body>\n");
    expect(allBad.status).toBe(400);
    expect(((await allBad.json()) as { error: { message: string } }).error.message).toMatch(/^No line of the upload is a log record this console reads, so nothing was scanned: 2 lines rejected \(line 1: not valid JSON; line 2: not valid JSON\)/);
    expect(logged).not.toHaveBeenCalled();
  });
});
