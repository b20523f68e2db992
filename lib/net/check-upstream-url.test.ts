import { describe, expect, it } from "vitest";
import { local, refusal, strict, installConnectTripwire } from "@/testing/upstream-guard";
import { checkUpstreamUrl, upstreamGuardOptionsFromEnv } from "./check-upstream-url";

installConnectTripwire();

describe("upstreamGuardOptionsFromEnv", () => {
  it("reads the allowed CIDRs, comma-separated, and allows loopback only in local mode", () => {
    expect(upstreamGuardOptionsFromEnv({ PORTCULLIS_ALLOWED_UPSTREAM_CIDRS: " 10.0.0.0/8, fd00::/8,192.168.1.20 " }, true)).toEqual({
      allowedCidrs: ["10.0.0.0/8", "fd00::/8", "192.168.1.20"],
      allowLoopback: true,
    });
    expect(upstreamGuardOptionsFromEnv({})).toEqual({ allowedCidrs: [], allowLoopback: false });
  });

  it("names a malformed entry and the variable", () => {
    expect(() => upstreamGuardOptionsFromEnv({ PORTCULLIS_ALLOWED_UPSTREAM_CIDRS: "10.0.0.0/8,10.0.0/8" })).toThrow(/PORTCULLIS_ALLOWED_UPSTREAM_CIDRS: "10\.0\.0\/8"/);
  });
});

describe("checkUpstreamUrl", { timeout: 5_000 }, () => {
  it("refuses the cloud metadata endpoint and says why", async () => {
    const error = await refusal(checkUpstreamUrl("http://169.254.169.254/latest/meta-data/", local));
    expect(error.code).toBe("UPSTREAM_ADDRESS_REFUSED");
    expect(error.message).toContain("cloud metadata");
    expect(error.message).toContain("169.254.169.254");
    expect(error).toMatchObject({ host: "169.254.169.254", address: "169.254.169.254", range: "cloud metadata" });
  });

  it("refuses a private address and says how to allow it", async () => {
    const error = await refusal(checkUpstreamUrl("http://10.0.0.1/mcp", local));
    expect(error.message).toContain("private network (RFC 1918)");
    expect(error.message).toContain("PORTCULLIS_ALLOWED_UPSTREAM_CIDRS");
  });

  it.each([
    ["http://[::ffff:10.0.0.1]/", "RFC 1918"],
    ["http://[64:ff9b::a9fe:a9fe]/", "cloud metadata"],
    ["http://[fd00:ec2::254]/", "cloud metadata"],
    ["http://0/", "this network"],
    ["http://192.168.0.1:8080/sse", "RFC 1918"],
    ["https://[fe80::1]/", "link-local"],
  ])("refuses %s (%s)", async (url, range) => {
    expect((await refusal(checkUpstreamUrl(url, local))).range).toContain(range);
  });

  // WHATWG URL parsing turns every one of these into 127.0.0.1 before the guard sees the host.
  it.each(["http://2130706433/", "http://0x7f.1/", "http://0177.0.0.1/", "http://127.1/", "http://127.0.0.1./"])(
    "refuses the numeric loopback spelling %s when loopback is not allowed",
    async (url) => {
      const error = await refusal(checkUpstreamUrl(url, strict));
      expect(error.address).toBe("127.0.0.1");
      expect(error.range).toBe("loopback");
    },
  );

  it("refuses a host name that resolves to loopback (localhost) when loopback is not allowed", async () => {
    const error = await refusal(checkUpstreamUrl("http://localhost:9/mcp", strict));
    expect(error.host).toBe("localhost");
    expect(error.message).toMatch(/upstream host "localhost" \(resolves to (127\.0\.0\.1|::1)\)/);
    expect(error.message).toContain("local mode");
  });

  it("refuses a name if ANY of its addresses is blocked", async () => {
    const resolve = async () => ["8.8.8.8", "10.0.0.7"];
    const error = await refusal(checkUpstreamUrl("https://round-robin.test/", { ...local, resolve }));
    expect(error.address).toBe("10.0.0.7");
  });

  it("refuses schemes other than http and https", async () => {
    for (const url of ["ftp://x/", "file:///etc/passwd", "gopher://127.0.0.1:25/", "ws://127.0.0.1/"]) {
      expect((await refusal(checkUpstreamUrl(url, local))).range).toBe("unsupported scheme");
    }
  });

  it("refuses metadata host names by name, whatever they resolve to and whatever is allowed", async () => {
    const resolve = async () => ["127.0.0.1"];
    const everything = { allowLoopback: true, allowedCidrs: ["0.0.0.0/0", "::/0"], resolve };
    for (const url of ["http://metadata.google.internal/", "http://METADATA.google.internal./computeMetadata/v1/", "http://metadata/"]) {
      const error = await refusal(checkUpstreamUrl(url, everything));
      expect(error.range).toBe("cloud metadata");
      expect(error.address).toBeNull();
    }
  });

  it("allows loopback in local mode", async () => {
    await expect(checkUpstreamUrl("http://127.0.0.1:3001/mcp", local)).resolves.toBeUndefined();
    await expect(checkUpstreamUrl("http://[::1]:3001/mcp", local)).resolves.toBeUndefined();
    await expect(checkUpstreamUrl("http://localhost:3001/mcp", local)).resolves.toBeUndefined();
  });

  it("allows loopback only as itself, not through a NAT64 or 6to4 gateway", async () => {
    await expect(checkUpstreamUrl("http://[::ffff:127.0.0.1]/", local)).resolves.toBeUndefined();
    await refusal(checkUpstreamUrl("http://[64:ff9b::7f00:1]/", local));
    await refusal(checkUpstreamUrl("http://[2002:7f00:1::]/", local));
  });

  it("allows private addresses inside an allowed CIDR, and only those (checks, never connects)", async () => {
    const options = { allowLoopback: false, allowedCidrs: ["10.0.0.0/8", "fd00::/8"] };
    await expect(checkUpstreamUrl("http://10.0.0.1/mcp", options)).resolves.toBeUndefined();
    await expect(checkUpstreamUrl("http://[::ffff:10.1.2.3]/mcp", options)).resolves.toBeUndefined();
    await expect(checkUpstreamUrl("http://[fd00::5]/mcp", options)).resolves.toBeUndefined();
    await refusal(checkUpstreamUrl("http://192.168.0.1/mcp", options));
    await refusal(checkUpstreamUrl("http://127.0.0.1/mcp", options));
  });

  it("allows a metadata address only by its exact /32 entry, never by a wider range", async () => {
    await refusal(checkUpstreamUrl("http://169.254.169.254/", { allowLoopback: false, allowedCidrs: ["169.254.0.0/16", "0.0.0.0/0"] }));
    await expect(checkUpstreamUrl("http://169.254.169.254/", { allowLoopback: false, allowedCidrs: ["169.254.169.254/32"] })).resolves.toBeUndefined();
  });

  it("lets public addresses through", async () => {
    await expect(checkUpstreamUrl("https://8.8.8.8/mcp", strict)).resolves.toBeUndefined();
    await expect(checkUpstreamUrl("https://mcp.example.test/mcp", { ...strict, resolve: async () => ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"] })).resolves.toBeUndefined();
  });

  it("reports a name that does not resolve as a network error, not a refusal", async () => {
    const resolve = async () => {
      throw Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" });
    };
    await expect(checkUpstreamUrl("https://nowhere.test/", { ...strict, resolve })).rejects.toThrow(/Could not resolve upstream host "nowhere.test" \(ENOTFOUND\)/);
  });
});
