import { describe, expect, it } from "vitest";
import { z } from "zod";
import { describeZodError } from "./helpers";

function fieldsOf(schema: z.ZodType, input: unknown) {
  const parsed = schema.safeParse(input);
  if (parsed.success) throw new Error("expected a failure");
  return describeZodError(parsed.error).fields;
}

describe("describeZodError", () => {
  it("says what a person should do, not what the library expected", () => {
    const schema = z.strictObject({
      name: z.string().min(1),
      slug: z.string().min(2),
      priority: z.number().int().min(0).max(1_000_000),
      url: z.url(),
      email: z.email(),
      effect: z.enum(["allow", "deny"]),
      tags: z.array(z.string()).min(1),
      note: z.string().max(3),
    });
    const fields = fieldsOf(schema, { name: "", slug: "a", priority: "200", url: "not a url", email: "x", effect: "maybe", tags: [], note: "long", extra: 1 });
    expect(fields).toEqual({
      name: "is required",
      slug: "must be at least 2 characters",
      priority: "must be a number",
      url: "must be a full URL, such as https://example.com/mcp",
      email: "must be an e-mail address, such as alice@example.com",
      effect: "must be one of allow, deny",
      tags: "needs at least one entry",
      note: "must be at most 3 characters",
      "(root)": "is an unknown field: extra",
    });
    expect(fieldsOf(z.object({ n: z.number().int() }), { n: 1.5 })).toEqual({ n: "must be a whole number" });
    expect(fieldsOf(z.object({ n: z.number().min(1) }), { n: 0 })).toEqual({ n: "must be at least 1" });
    expect(fieldsOf(z.object({ n: z.string() }), {})).toEqual({ n: "is required" });
  });

  it("keeps a schema's own message and joins fields into one line", () => {
    const parsed = z.object({ slug: z.string().regex(/^[a-z]+$/, "use lowercase letters") }).safeParse({ slug: "A" });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(describeZodError(parsed.error, "body")).toEqual({ message: "body.slug: use lowercase letters", fields: { slug: "use lowercase letters" } });
  });
});
