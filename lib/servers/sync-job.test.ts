import { describe, expect, it } from "vitest";
import { syncIntervalMs } from "./sync-job";

describe("periodic re-sync interval", () => {
  it("defaults to an hour, can be turned off, and refuses nonsense", () => {
    expect(syncIntervalMs({})).toBe(3_600_000);
    expect(syncIntervalMs({ PORTCULLIS_SYNC_INTERVAL_MINUTES: "0" })).toBe(0);
    expect(syncIntervalMs({ PORTCULLIS_SYNC_INTERVAL_MINUTES: "15" })).toBe(900_000);
    expect(() => syncIntervalMs({ PORTCULLIS_SYNC_INTERVAL_MINUTES: "-1" })).toThrow(/minutes/);
    expect(() => syncIntervalMs({ PORTCULLIS_SYNC_INTERVAL_MINUTES: "soon" })).toThrow(/minutes/);
  });
});
