import { describe, expect, it } from "vitest";
import { Slug } from "@core/zod/helpers";
import { slugify } from "./slug";

describe("slugify", () => {
  it("suggests a valid slug from a name", () => {
    expect(slugify("Platform Team")).toBe("platform-team");
    expect(slugify("  Données & Café  ")).toBe("donnees-cafe");
    expect(slugify("GitHub (Enterprise) — EU")).toBe("github-enterprise-eu");
    const long = slugify("a".repeat(39) + " b");
    expect(long).toBe("a".repeat(39));
    for (const name of ["Platform Team", "x-y", "Données & Café", "a".repeat(39) + " b", "ML/AI 2026"]) expect(Slug.safeParse(slugify(name)).success).toBe(true);
  });
});
