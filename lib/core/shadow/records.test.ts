import { describe, expect, it } from "vitest";
import { parseLine, type TrafficRecord } from "./records";

function generic(url: string, host?: string): TrafficRecord | string {
  const p = parseLine(JSON.stringify({ ts: "2026-11-02T08:00:00Z", url, ...(host === undefined ? {} : { host }) }), "generic");
  return p.ok ? p.record : p.error;
}

const split = (url: string, host?: string) => {
  const r = generic(url, host);
  return typeof r === "string" ? r : [r.scheme, r.host, r.port, r.path, r.query];
};

describe("URL splitting", () => {
  it("splits scheme, host, port, path and query of an absolute URL", () => {
    expect(split("https://Tools.Example.COM:8443/mcp/x?a=1&b=2#frag")).toEqual(["https", "tools.example.com", 8443, "/mcp/x", "a=1&b=2"]);
    expect(split("HTTP://a.example/")).toEqual(["http", "a.example", 0, "/", ""]);
    expect(split("wss://a.example:80/socket")).toEqual(["wss", "a.example", 80, "/socket", ""]);
    expect(split("http://a.example:80/x")).toEqual(["http", "a.example", 0, "/x", ""]);
    expect(split("https://a.example.:443")).toEqual(["https", "a.example", 0, "/", ""]);
  });

  it("ends the authority at the first /, ? or #, whichever comes first", () => {
    expect(split("https://a.example?x=1/y#z")).toEqual(["https", "a.example", 0, "/", "x=1/y"]);
    expect(split("https://a.example#f?not-a-query")).toEqual(["https", "a.example", 0, "/", ""]);
    expect(split("https://a.example/p#f?not-a-query")).toEqual(["https", "a.example", 0, "/p", ""]);
    expect(split("https://a.example/p?q#f")).toEqual(["https", "a.example", 0, "/p", "q"]);
  });

  it("drops userinfo up to the last @ and reads a port only after the last : outside IPv6 brackets", () => {
    expect(split("https://user:pw@a.example:9000/x")).toEqual(["https", "a.example", 9000, "/x", ""]);
    expect(split("https://a@b@c.example/x")).toEqual(["https", "c.example", 0, "/x", ""]);
    expect(split("https://user:pw@a.example/x")).toEqual(["https", "a.example", 0, "/x", ""]);
    expect(split("http://[::1]:8080/mcp")).toEqual(["http", "[::1]", 8080, "/mcp", ""]);
    expect(split("http://[::1]/mcp")).toEqual(["http", "[::1]", 0, "/mcp", ""]);
    expect(split("https://a.example:notaport/x")).toEqual(["https", "a.example", 0, "/x", ""]);
  });

  it("reads host/path without a scheme, and origin-form paths with the host field", () => {
    expect(split("a.example:8080/x?y")).toEqual(["https", "a.example", 8080, "/x", "y"]);
    expect(split("a.example")).toEqual(["https", "a.example", 0, "/", ""]);
    expect(split("/x?y#z", "B.Example:81")).toEqual(["https", "b.example", 81, "/x", "y"]);
    expect(split("", "b.example")).toEqual(["https", "b.example", 0, "/", ""]);
  });

  it("refuses a URL without a host", () => {
    expect(split("https:///x")).toBe("url has no host");
    expect(split("https://user@/x")).toBe("url has no host");
    expect(split("/x")).toBe("url has no host");
    expect(split("")).toBe("missing url and host");
  });
});
