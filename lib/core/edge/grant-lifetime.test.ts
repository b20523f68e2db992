import { describe, expect, it } from "vitest";
import { DEFAULT_IDLE_DAYS, DEFAULT_MAX_DAYS, grantLifetimes, nextGrantLifetime } from "./grant-lifetime";

const DAY = 86_400;

describe("grantLifetimes", () => {
  it("defaults to a week idle and a month at most", () => {
    expect(grantLifetimes({})).toEqual({ idleSeconds: DEFAULT_IDLE_DAYS * DAY, maxSeconds: DEFAULT_MAX_DAYS * DAY });
  });

  it("reads the settings in days, fractions included", () => {
    expect(grantLifetimes({ PORTCULLIS_OAUTH_REFRESH_IDLE_DAYS: "0.5", PORTCULLIS_OAUTH_GRANT_MAX_DAYS: "2" })).toEqual({ idleSeconds: DAY / 2, maxSeconds: 2 * DAY });
  });

  it("ignores invalid values and never lets the idle window exceed the maximum", () => {
    expect(grantLifetimes({ PORTCULLIS_OAUTH_REFRESH_IDLE_DAYS: "soon", PORTCULLIS_OAUTH_GRANT_MAX_DAYS: "-3" })).toEqual(grantLifetimes({}));
    expect(grantLifetimes({ PORTCULLIS_OAUTH_REFRESH_IDLE_DAYS: "30", PORTCULLIS_OAUTH_GRANT_MAX_DAYS: "1" })).toEqual({ idleSeconds: DAY, maxSeconds: DAY });
  });

  it("never goes below the provider's one-minute minimum", () => {
    expect(grantLifetimes({ PORTCULLIS_OAUTH_REFRESH_IDLE_DAYS: "0.00001", PORTCULLIS_OAUTH_GRANT_MAX_DAYS: "0.00001" })).toEqual({ idleSeconds: 60, maxSeconds: 60 });
  });
});

describe("nextGrantLifetime", () => {
  const lifetimes = { idleSeconds: 7 * DAY, maxSeconds: 30 * DAY };
  const granted = 1_000_000_000;

  it("gives the idle window while the grant is young", () => {
    expect(nextGrantLifetime(granted, granted + DAY, lifetimes)).toBe(7 * DAY);
  });

  it("cuts the window at the grant's maximum age", () => {
    expect(nextGrantLifetime(granted, granted + 27 * DAY, lifetimes)).toBe(3 * DAY);
  });

  it("refuses a grant at or within a minute of its maximum age", () => {
    expect(nextGrantLifetime(granted, granted + 30 * DAY, lifetimes)).toBeNull();
    expect(nextGrantLifetime(granted, granted + 30 * DAY - 59, lifetimes)).toBeNull();
    expect(nextGrantLifetime(granted, granted + 30 * DAY - 60, lifetimes)).toBeNull();
    expect(nextGrantLifetime(granted, granted + 30 * DAY - 61, lifetimes)).toBe(61);
    expect(nextGrantLifetime(granted, granted + 31 * DAY, lifetimes)).toBeNull();
  });

  it("counts a grant without a consent time (or one from the future) from now", () => {
    expect(nextGrantLifetime(undefined, granted, lifetimes)).toBe(7 * DAY);
    expect(nextGrantLifetime(granted + 100 * DAY, granted, lifetimes)).toBe(7 * DAY);
  });
});
