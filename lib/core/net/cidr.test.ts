import { describe, expect, it } from "vitest";
import { cidrContains, formatCidr, formatIp, parseCidr, parseIp, unmapIpv4 } from "./cidr";

function cidr(text: string) {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(`test setup: ${text} should parse`);
  return parsed;
}

describe("parseIp", () => {
  it.each([
    ["0.0.0.0", "0.0.0.0"],
    ["192.0.2.1", "192.0.2.1"],
    ["255.255.255.255", "255.255.255.255"],
    ["::", "::"],
    ["::1", "::1"],
    ["2001:DB8::1", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::ffff:10.0.0.1", "::ffff:10.0.0.1"],
    ["::ffff:a00:1", "::ffff:10.0.0.1"],
    ["64:ff9b::10.0.0.1", "64:ff9b::a00:1"],
    ["fe80::1%eth0", "fe80::1"],
    [" 10.1.2.3 ", "10.1.2.3"],
  ])("%s → %s", (text, formatted) => {
    const ip = parseIp(text);
    expect(ip).not.toBeNull();
    expect(formatIp(ip!)).toBe(formatted);
  });

  it.each([
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.0.0.1",
    "010.0.0.1",
    "0x7f.0.0.1",
    "2130706433",
    "1.2.3.4/8",
    "[::1]",
    ":::",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "12345::",
    "1.2.3.4::",
    "::1.2.3",
    "g::1",
    "localhost",
  ])("refuses %j", (text) => {
    expect(parseIp(text)).toBeNull();
  });

  it("unmaps IPv4-mapped IPv6 to the IPv4 address, and leaves others alone", () => {
    expect(unmapIpv4(parseIp("::ffff:127.0.0.1")!)).toEqual({ version: 4, bytes: new Uint8Array([127, 0, 0, 1]) });
    expect(unmapIpv4(parseIp("64:ff9b::7f00:1")!).version).toBe(6);
  });
});

describe("parseCidr", () => {
  it.each([
    ["10.0.0.0/8", "10.0.0.0/8"],
    ["10.1.2.3/8", "10.0.0.0/8"],
    ["192.168.1.10", "192.168.1.10/32"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["fd00::/8", "fd00::/8"],
    ["fe80::1/10", "fe80::/10"],
    ["::1", "::1/128"],
    ["::/0", "::/0"],
    ["::ffff:10.0.0.0/104", "10.0.0.0/8"],
    ["172.16.0.0/12", "172.16.0.0/12"],
  ])("%s → %s", (text, formatted) => {
    expect(formatCidr(cidr(text))).toBe(formatted);
  });

  it.each(["", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0/8", "10.0.0.0/08", "10.0.0.0/-1", "10.0.0.0/8/8", "example.com/24"])("refuses %j", (text) => {
    expect(parseCidr(text)).toBeNull();
  });
});

describe("cidrContains", () => {
  it.each([
    ["10.0.0.0/8", "10.255.1.2", true],
    ["10.0.0.0/8", "11.0.0.0", false],
    ["172.16.0.0/12", "172.31.255.255", true],
    ["172.16.0.0/12", "172.32.0.0", false],
    ["100.64.0.0/10", "100.127.0.1", true],
    ["100.64.0.0/10", "100.128.0.1", false],
    ["0.0.0.0/0", "203.0.113.9", true],
    ["0.0.0.0/0", "2001:db8::1", false],
    ["192.168.1.10", "192.168.1.10", true],
    ["192.168.1.10", "192.168.1.11", false],
    ["fc00::/7", "fd12:3456::1", true],
    ["fc00::/7", "fe00::1", false],
    ["fe80::/10", "febf::1", true],
    ["fe80::/10", "fec0::1", false],
    ["::/0", "::1", true],
    ["::/0", "10.0.0.1", false],
    // IPv4-mapped IPv6 is the IPv4 host, both ways round.
    ["10.0.0.0/8", "::ffff:10.0.0.1", true],
    ["::ffff:10.0.0.0/104", "10.9.9.9", true],
    ["10.0.0.0/8", "64:ff9b::a00:1", false],
  ] as const)("%s contains %s: %s", (range, ip, expected) => {
    expect(cidrContains(cidr(range), ip)).toBe(expected);
  });

  it("is false for something that is not an address", () => {
    expect(cidrContains(cidr("0.0.0.0/0"), "not-an-ip")).toBe(false);
  });
});
