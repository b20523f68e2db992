import { describe, expect, it } from "vitest";
import { describeFailure, toProblem } from "./problem";

describe("failures as problems and log lines", () => {
  const dbError = (code: string) => Object.assign(new Error("Failed query: insert into \"teams\" (\"name\") values ($1)\nparams: secret-name-the-caller-sent"), { cause: Object.assign(new Error("invalid byte sequence for encoding \"UTF8\": 0x00"), { code }) });

  it("never logs a failed query's parameters, in the error or its causes", () => {
    const line = describeFailure(dbError("XX000"));
    expect(line).toMatch(/Failed query: insert into "teams"/);
    expect(line).toMatch(/params: \[not logged\]/);
    expect(line).toMatch(/caused by: Error: invalid byte sequence/);
    expect(line).not.toMatch(/secret-name-the-caller-sent/);
    const nested = new Error("outer", { cause: new Error("Failed query: select 1\nparams: a-password") });
    expect(describeFailure(nested)).not.toMatch(/a-password/);
  });

  it("answers text the database refused as 400 INVALID_TEXT, a unique clash as 409, anything else as a 500 that says nothing", () => {
    expect(toProblem(dbError("22021"))).toMatchObject({ status: 400, body: { error: { code: "INVALID_TEXT" } } });
    expect(toProblem(dbError("22P05"))).toMatchObject({ status: 400, body: { error: { code: "INVALID_TEXT" } } });
    expect(toProblem(dbError("23505"))).toMatchObject({ status: 409, body: { error: { code: "CONFLICT" } } });
    const internal = toProblem(dbError("XX000"));
    expect(internal.status).toBe(500);
    expect(JSON.stringify(internal.body)).not.toMatch(/Failed query|params|UTF8/);
  });
});
