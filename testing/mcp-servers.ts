/** Real MCP servers from npm, started as child processes for integration tests. */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface RunningServer {
  origin: string;
  port: number;
  stop: () => Promise<void>;
}

/** `@modelcontextprotocol/server-everything` over Streamable HTTP (`/mcp`) or legacy SSE (`/sse`). */
export async function startEverythingServer(transport: "streamableHttp" | "sse"): Promise<RunningServer> {
  const port = await freePort();
  const bin = path.join(process.cwd(), "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
  const child: ChildProcess = spawn(process.execPath, [bin, transport], { env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server-everything ${transport} did not start`)), 20_000);
    const onData = (chunk: Buffer) => {
      if (/listening|running on port/i.test(chunk.toString())) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", (code) => reject(new Error(`server-everything exited with ${code}`)));
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        // Already gone (exited, or killed by a signal): stopping twice must not wait for an exit that happened.
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
