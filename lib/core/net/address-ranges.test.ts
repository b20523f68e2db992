import { describe, expect, it } from "vitest";
import { classifyAddress } from "./address-ranges";

describe("classifyAddress", () => {
  it.each([
    ["0.0.0.0", "this network"],
    ["0.1.2.3", "this network"],
    ["10.0.0.1", "RFC 1918"],
    ["10.255.255.255", "RFC 1918"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.255", "carrier-grade NAT"],
    ["100.100.100.200", "cloud metadata"],
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["169.254.169.254", "cloud metadata"],
    ["169.254.170.2", "cloud metadata"],
    ["169.254.1.1", "link-local"],
    ["168.63.129.16", "cloud metadata"],
    ["172.16.0.1", "RFC 1918"],
    ["172.31.255.254", "RFC 1918"],
    ["192.0.0.8", "IETF protocol assignments"],
    ["192.168.1.1", "RFC 1918"],
    ["198.18.0.1", "benchmarking"],
    ["198.19.255.255", "benchmarking"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "broadcast"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["fc00::1", "unique local"],
    ["fd12:3456:789a::1", "unique local"],
    ["fd00:ec2::254", "cloud metadata"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["febf:ffff::1", "link-local"],
    ["fec0::1", "site-local"],
    ["ff02::1", "multicast"],
    ["64:ff9b:1::a00:1", "NAT64"],
    // IPv6 carrying an IPv4 address: the IPv4 address is what the packet reaches.
    ["::ffff:10.0.0.1", "(RFC 1918) via IPv4-mapped IPv6"],
    ["::ffff:a00:1", "(RFC 1918) via IPv4-mapped IPv6"],
    ["::ffff:127.0.0.1", "loopback via IPv4-mapped IPv6"],
    ["::ffff:169.254.169.254", "cloud metadata via IPv4-mapped IPv6"],
    ["::ffff:0:10.0.0.1", "(RFC 1918) via IPv4-translated IPv6"],
    ["::127.0.0.1", "loopback via IPv4-compatible IPv6"],
    ["::a9fe:a9fe", "cloud metadata via IPv4-compatible IPv6"],
    ["64:ff9b::10.0.0.1", "(RFC 1918) via NAT64"],
    ["64:ff9b::a9fe:a9fe", "cloud metadata via NAT64"],
    ["2002:a00:1::1", "(RFC 1918) via 6to4"],
    ["2002:7f00:1::", "loopback via 6to4"],
    ["2002:c0a8:101::1", "(RFC 1918) via 6to4"],
  ])("blocks %s (%s)", (ip, range) => {
    const c = classifyAddress(ip);
    expect(c.blocked).toBe(true);
    expect(c.range).toContain(range);
  });

  it.each(["1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0", "192.0.1.1", "192.169.0.1", "198.17.255.255", "198.20.0.0", "223.255.255.255", "2606:4700:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "fbff::1", "fe7f::1"])(
    "lets %s through (public)",
    (ip) => {
      expect(classifyAddress(ip)).toEqual({ blocked: false, range: "public" });
    },
  );

  it.each(["", "localhost", "2130706433", "0x7f.0.0.1", "010.0.0.1", "1.2.3"])("blocks %j: not an IP address", (ip) => {
    expect(classifyAddress(ip)).toEqual({ blocked: true, range: "not an IP address" });
  });
});
