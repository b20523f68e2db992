import { describe, expect, it, vi } from "vitest";
import type { Actor } from "./actor";

// Server actions read the session through this one helper; the test decides who is signed in.
const session = vi.hoisted(() => ({ actor: null as Actor | null }));
vi.mock("./session", () => ({ currentActor: async () => session.actor }));
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));
vi.mock("@/db/client", () => ({ getDb: async () => ({}) }));

const { sessionAction } = await import("./action");

describe("sessionAction", () => {
  const member: Actor = { kind: "user", userId: "00000000-0000-4000-8000-000000000001", email: "m@example.test", role: "member", scopes: ["read", "write"] };

  it("refuses a form field with a NUL character before the verb runs, naming the field", async () => {
    session.actor = member;
    const verb = vi.fn(async () => "done");
    const action = sessionAction(verb);
    const form = new FormData();
    form.set("name", "fine");
    form.set("description", "a\u0000b");
    expect(await action(null, form)).toMatchObject({ ok: false, error: { code: "INVALID_TEXT", message: expect.stringMatching(/^description: .*NUL/) }, fields: { description: expect.any(String) } });
    expect(verb).not.toHaveBeenCalled();
    // Form values are USV strings: an unpaired surrogate arrives already replaced by U+FFFD, which is storable.
    const ok = new FormData();
    ok.set("name", "émigré 🚀 \ud800");
    expect(await action(null, ok)).toEqual({ ok: true, data: "done" });
    expect(verb).toHaveBeenCalledOnce();
  });

  it("answers UNAUTHENTICATED without a session", async () => {
    session.actor = null;
    expect(await sessionAction(async () => "done")(null, new FormData())).toMatchObject({ ok: false, error: { code: "UNAUTHENTICATED" } });
  });
});
