import { spawn, type ChildProcess } from "node:child_process";
import { getEventListeners, once } from "node:events";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { local, refusal, strict, installConnectTripwire } from "@/testing/upstream-guard";
import { UpstreamAddressError } from "./check-upstream-url";
import { createGuardedFetch } from "./guarded-fetch";

installConnectTripwire();

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe("createGuardedFetch against a local server", { timeout: 5_000 }, () => {
  let server: http.Server;
  let base: string;
  let port: number;
  const seen: Seen[] = [];
  const closed: string[] = [];
  let releaseSecondEvent: () => void = () => {};
  let eventsEnded = false;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (body += chunk));
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://x");
        seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
        res.on("close", () => closed.push(url.pathname));
        const redirect = (status: number, location: string) => res.writeHead(status, { location }).end("moved");
        const chain = /^\/chain\/(\d+)$/.exec(url.pathname);
        if (url.pathname === "/echo") {
          res.writeHead(200, { "content-type": "application/json", "x-upstream": "yes" }).end(JSON.stringify({ method: req.method, body, host: req.headers.host }));
        } else if (url.pathname === "/events") {
          res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
          res.write("event: message\ndata: one\n\n");
          new Promise<void>((r) => (releaseSecondEvent = r)).then(() => {
            res.end("event: message\ndata: two\n\n");
            eventsEnded = true;
          });
        } else if (url.pathname === "/forever") {
          res.writeHead(200, { "content-type": "text/event-stream" });
          res.write("data: hello\n\n");
        } else if (url.pathname === "/hang") {
          // never answers
        } else if (url.pathname === "/to-private") {
          redirect(302, "http://10.0.0.1/x");
        } else if (url.pathname === "/to-metadata") {
          redirect(307, "http://169.254.169.254/latest/meta-data/iam/security-credentials/");
        } else if (url.pathname === "/to-numeric-loopback") {
          redirect(302, `http://2130706433:${port}/echo`);
        } else if (chain) {
          const n = Number(chain[1]);
          if (n > 0) redirect(302, `/chain/${n - 1}`);
          else res.writeHead(200).end("end of chain");
        } else if (url.pathname === "/to-other-origin") {
          redirect(302, `http://upstream.test:${port}/echo`);
        } else if (/^\/(301|302|303|307|308)$/.test(url.pathname)) {
          redirect(Number(url.pathname.slice(1)), "/echo#frag");
        } else if (url.pathname === "/gzip") {
          res.writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip" }).end(gzipSync("unzipped as fetch would"));
        } else if (url.pathname === "/no-content") {
          res.writeHead(204).end();
        } else {
          res.writeHead(404, "Nope").end("not here");
        }
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    releaseSecondEvent();
    server.closeAllConnections();
    server.close();
  });

  afterEach(() => {
    seen.length = 0;
    closed.length = 0;
  });

  const guarded = createGuardedFetch({ ...local, resolve: async (host) => (host === "upstream.test" ? ["127.0.0.1"] : []) });

  it("does a plain GET, with status, statusText, headers and url", async () => {
    const response = await guarded(`${base}/echo?q=1`);
    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(response.statusText).toBe("OK");
    expect(response.headers.get("x-upstream")).toBe("yes");
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.url).toBe(`${base}/echo?q=1`);
    expect(response.redirected).toBe(false);
    expect(await response.json()).toEqual({ method: "GET", body: "", host: `127.0.0.1:${port}` });

    const missing = await guarded(`${base}/missing`);
    expect([missing.status, missing.statusText, await missing.text()]).toEqual([404, "Nope", "not here"]);

    const empty = await guarded(`${base}/no-content`, { method: "DELETE" });
    expect([empty.status, empty.body]).toEqual([204, null]);
    const head = await guarded(`${base}/echo`, { method: "HEAD" });
    expect([head.status, head.body, head.headers.get("content-type")]).toEqual([200, null, "application/json"]);
  });

  it("decodes a gzip response body, as fetch does", async () => {
    const response = await guarded(`${base}/gzip`);
    expect(await response.text()).toBe("unzipped as fetch would");
    expect(seen[0]!.headers["accept-encoding"]).toBe("gzip, deflate, br");
  });

  it("leaves no abort listener behind on a signal shared by many requests (the SDK shares one)", async () => {
    const controller = new AbortController();
    for (let i = 0; i < 3; i++) await (await guarded(`${base}/echo`, { signal: controller.signal })).text();
    await (await guarded(`${base}/302`, { signal: controller.signal })).text();
    await (await guarded(`${base}/no-content`, { signal: controller.signal })).body?.cancel();
    await refusal(guarded(`${base}/to-private`, { signal: controller.signal }));
    await expect.poll(() => getEventListeners(controller.signal, "abort").length).toBe(0);
  });

  it("sends method, headers and body like fetch, from init or from a Request", async () => {
    await guarded(`${base}/echo`, { method: "POST", headers: { "content-type": "application/json", "mcp-session-id": "s1" }, body: JSON.stringify({ a: 1 }) });
    await guarded(new Request(`${base}/echo`, { method: "PUT", body: new URLSearchParams({ b: "2" }) }));
    expect(seen.map((s) => [s.method, s.body, s.headers["content-type"]])).toEqual([
      ["POST", '{"a":1}', "application/json"],
      ["PUT", "b=2", "application/x-www-form-urlencoded;charset=UTF-8"],
    ]);
    expect(seen[0]!.headers["mcp-session-id"]).toBe("s1");
    expect(seen[0]!.headers["content-length"]).toBe("7");
  });

  it("streams a text/event-stream response: the first event arrives before the server ends it", async () => {
    eventsEnded = false;
    const response = await guarded(`${base}/events`, { method: "POST", headers: { accept: "text/event-stream" }, body: "{}" });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const first = await reader.read();
    expect(first.value).toBe("event: message\ndata: one\n\n");
    expect(eventsEnded).toBe(false);
    releaseSecondEvent();
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += r.value;
    expect(rest).toBe("event: message\ndata: two\n\n");
    expect(eventsEnded).toBe(true);
  });

  it("refuses a redirect to a private address without connecting to it", async () => {
    const error = await refusal(guarded(`${base}/to-private`));
    expect(error.address).toBe("10.0.0.1");
    expect(error.range).toContain("RFC 1918");
    expect(seen.map((s) => s.url)).toEqual(["/to-private"]);
  });

  it("refuses a 307 to cloud metadata, even with the POST body it would carry", async () => {
    const error = await refusal(guarded(`${base}/to-metadata`, { method: "POST", body: "{}" }));
    expect(error.range).toBe("cloud metadata");
  });

  it("refuses a redirect to a numeric loopback spelling when loopback is not allowed at the target", async () => {
    // Allowed CIDR lets the first hop (127.0.0.1/32) through but the guard still sees 2130706433 as 127.0.0.1.
    const onlyFirst = createGuardedFetch({ allowLoopback: false, allowedCidrs: ["127.0.0.1/32"] });
    const response = await onlyFirst(`${base}/to-numeric-loopback`);
    expect(response.url).toBe(`${base}/echo`);
    const none = createGuardedFetch({ allowLoopback: false, allowedCidrs: [] });
    expect((await refusal(none(`${base}/to-numeric-loopback`))).range).toBe("loopback");
    expect(seen.map((s) => s.url)).toEqual(["/to-numeric-loopback", "/echo"]);
  });

  it("follows a redirect to another loopback path; url and redirected reflect it", async () => {
    const response = await guarded(`${base}/302`);
    expect(response.status).toBe(200);
    expect(response.redirected).toBe(true);
    expect(response.url).toBe(`${base}/echo`);
    expect(await response.json()).toMatchObject({ method: "GET" });
  });

  it("follows a redirect chain up to maxRedirects and refuses a longer one", async () => {
    const three = createGuardedFetch({ ...local, maxRedirects: 3 });
    const ok = await three(`${base}/chain/3`);
    expect([ok.status, ok.url, await ok.text()]).toEqual([200, `${base}/chain/0`, "end of chain"]);
    seen.length = 0;
    await expect(three(`${base}/chain/4`)).rejects.toThrow(/Too many redirects: more than 3/);
    expect(seen).toHaveLength(4);
    await expect(guarded(`${base}/chain/6`)).rejects.toThrow(/more than 5/);
  });

  it("changes POST to GET on 301, 302 and 303, and keeps method and body on 307 and 308", async () => {
    for (const status of [301, 302, 303, 307, 308]) {
      const response = await guarded(`${base}/${status}`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"x":1}' });
      expect(response.url).toBe(`${base}/echo`);
    }
    const followed = seen.filter((s) => s.url === "/echo").map((s) => [s.method, s.body, s.headers["content-type"] ?? null]);
    expect(followed).toEqual([
      ["GET", "", null],
      ["GET", "", null],
      ["GET", "", null],
      ["POST", '{"x":1}', "application/json"],
      ["POST", '{"x":1}', "application/json"],
    ]);
    seen.length = 0;
    await guarded(`${base}/303`, { method: "PUT", body: "y" });
    await guarded(`${base}/302`, { method: "PUT", body: "y" });
    expect(seen.filter((s) => s.url === "/echo").map((s) => [s.method, s.body])).toEqual([
      ["GET", ""],
      ["PUT", "y"],
    ]);
  });

  it("drops credentials when a redirect leaves the origin, as fetch does", async () => {
    const response = await guarded(`${base}/to-other-origin`, { headers: { authorization: "Bearer secret", "x-kept": "1" } });
    expect(response.url).toBe(`http://upstream.test:${port}/echo`);
    const last = seen.at(-1)!;
    expect(last.headers.host).toBe(`upstream.test:${port}`);
    expect(last.headers.authorization).toBeUndefined();
    expect(last.headers["x-kept"]).toBe("1");
  });

  it('returns the redirect itself with redirect: "manual" (the MCP SDK relies on it), and rejects with "error"', async () => {
    const response = await guarded(`${base}/302`, { redirect: "manual" });
    expect([response.status, response.headers.get("location"), response.redirected, response.url]).toEqual([302, "/echo#frag", false, `${base}/302`]);
    await response.body?.cancel();
    await expect(guarded(`${base}/302`, { redirect: "error" })).rejects.toThrow(TypeError);
    // A manual redirect to a blocked address is handed back, not followed: nothing connects to it.
    const toPrivate = await guarded(`${base}/to-private`, { redirect: "manual" });
    expect(toPrivate.headers.get("location")).toBe("http://10.0.0.1/x");
  });

  it("aborts before the response arrives: rejects with the signal's reason and ends the request", async () => {
    const controller = new AbortController();
    const pending = guarded(`${base}/hang`, { signal: controller.signal });
    await expect.poll(() => seen.map((s) => s.url)).toEqual(["/hang"]);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    await expect.poll(() => closed).toContain("/hang");
  });

  it("aborts a streaming body: the reader rejects and the server sees the connection close", async () => {
    const controller = new AbortController();
    const response = await guarded(`${base}/forever`, { signal: controller.signal });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: hello\n\n");
    controller.abort(new Error("enough"));
    await expect(reader.read()).rejects.toThrow("enough");
    await expect.poll(() => closed).toContain("/forever");
  });

  it("cancelling the body ends the request too", async () => {
    const response = await guarded(`${base}/forever`);
    await response.body!.cancel();
    await expect.poll(() => closed).toContain("/forever");
  });

  it("rejects at once with an already aborted signal", async () => {
    await expect(guarded(`${base}/echo`, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: "AbortError" });
    expect(seen).toEqual([]);
  });

  it("refuses the very first request to 127.0.0.1 when loopback is not allowed", async () => {
    const error = await refusal(createGuardedFetch(strict)(`${base}/echo`));
    expect(error.range).toBe("loopback");
    expect(seen).toEqual([]);
  });

  it("connects only to the address it checked: one resolution per request, pinned (DNS rebinding)", async () => {
    const answers = [["127.0.0.1"], ["10.0.0.1"], ["169.254.169.254"]];
    const asked: string[] = [];
    const rebinding = createGuardedFetch({
      ...local,
      resolve: async (host) => {
        asked.push(host);
        return answers[asked.length - 1] ?? [];
      },
    });
    const response = await rebinding(`http://rebind.test:${port}/echo`);
    expect(await response.json()).toMatchObject({ host: `rebind.test:${port}` });
    // Resolved once; had the socket layer resolved again it would have got 10.0.0.1 (and the tripwire would have fired).
    expect(asked).toEqual(["rebind.test"]);
    // The next request resolves afresh, sees the rebound address and refuses it.
    expect((await refusal(rebinding(`http://rebind.test:${port}/echo`))).address).toBe("10.0.0.1");
  });
});

// ---------------------------------------------------------------------------------------------
// The real MCP SDK client transports, through the guarded fetch, against the reference server.

async function freePort(): Promise<number> {
  const probe = net.createServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, "close");
  return port;
}

async function startEverything(mode: "streamableHttp" | "sse"): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const entry = path.resolve(import.meta.dirname, "../../node_modules/@modelcontextprotocol/server-everything/dist/index.js");
  const child = spawn(process.execPath, [entry, mode], { env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server-everything ${mode} did not start: ${stderr}`)), 20_000);
    child.stderr!.on("data", (chunk: string) => {
      stderr += chunk;
      if (/listening on port|running on port/i.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`server-everything ${mode} exited (${code}): ${stderr}`)));
  });
  return { child, port };
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}

function counting(fetchImpl: typeof fetch): { fetch: typeof fetch; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    fetch: (input, init) => {
      calls.push(`${init?.method ?? "GET"} ${new URL(input instanceof Request ? input.url : input).pathname}`);
      return fetchImpl(input, init);
    },
  };
}

describe("the MCP SDK client through the guarded fetch", { timeout: 30_000 }, () => {
  let streamable: { child: ChildProcess; port: number } | undefined;
  let sse: { child: ChildProcess; port: number } | undefined;

  beforeAll(async () => {
    [streamable, sse] = await Promise.all([startEverything("streamableHttp"), startEverything("sse")]);
  }, 40_000);

  afterAll(async () => {
    await Promise.all([stop(streamable?.child), stop(sse?.child)]);
  });

  it("Streamable HTTP: connects, lists tools, calls echo", async () => {
    const guarded = counting(createGuardedFetch({ allowLoopback: true, allowedCidrs: [] }));
    const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${streamable!.port}/mcp`), { fetch: guarded.fetch });
    const client = new Client({ name: "portcullis-ssrf-test", version: "0.0.0" });
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThan(5);
    expect(tools.map((t) => t.name)).toContain("echo");
    const result = await client.callTool({ name: "echo", arguments: { message: "through the guard" } });
    expect(result.content).toEqual([{ type: "text", text: "Echo: through the guard" }]);
    await transport.terminateSession();
    await client.close();
    expect(guarded.calls).toContain("POST /mcp");
    expect(guarded.calls).toContain("GET /mcp");
  });

  it("Streamable HTTP: the guard refuses the same server when loopback is not allowed", async () => {
    const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${streamable!.port}/mcp`), { fetch: createGuardedFetch(strict) });
    const client = new Client({ name: "portcullis-ssrf-test", version: "0.0.0" });
    await expect(client.connect(transport)).rejects.toBeInstanceOf(UpstreamAddressError);
    await client.close();
  });

  it("legacy SSE: the event stream and the POSTs both go through the guarded fetch", async () => {
    const guarded = counting(createGuardedFetch({ allowLoopback: true, allowedCidrs: [] }));
    const transport = new SSEClientTransport(new URL(`http://127.0.0.1:${sse!.port}/sse`), { fetch: guarded.fetch });
    const client = new Client({ name: "portcullis-ssrf-test", version: "0.0.0" });
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThan(5);
    const result = await client.callTool({ name: "echo", arguments: { message: "over sse" } });
    expect(result.content).toEqual([{ type: "text", text: "Echo: over sse" }]);
    await client.close();
    expect(guarded.calls[0]).toBe("GET /sse");
    expect(guarded.calls).toContain("POST /message");
  });

  it("legacy SSE: the guard refuses the event stream when loopback is not allowed", async () => {
    const transport = new SSEClientTransport(new URL(`http://127.0.0.1:${sse!.port}/sse`), { fetch: createGuardedFetch(strict) });
    const client = new Client({ name: "portcullis-ssrf-test", version: "0.0.0" });
    await expect(client.connect(transport)).rejects.toThrow(/blocked range \(loopback\)/);
    await client.close();
  });
});
