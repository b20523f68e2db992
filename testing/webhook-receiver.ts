/** A real HTTP server on loopback standing in for a webhook (budget alerts, chat notices): it records each JSON POST and answers `status`. */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface WebhookReceiver<T> {
  url: string;
  received: { body: T; contentType: string | undefined; userAgent: string | undefined }[];
  /** What it answers (204 unless set). */
  status: number;
  close: () => Promise<void>;
}

export async function startWebhookReceiver<T = unknown>(path = "/hook"): Promise<WebhookReceiver<T>> {
  const received: WebhookReceiver<T>["received"] = [];
  const state = { status: 204 };
  const server: Server = createServer((req: IncomingMessage, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString("utf8")));
    req.on("end", () => {
      received.push({ body: JSON.parse(text) as T, contentType: req.headers["content-type"], userAgent: req.headers["user-agent"] });
      res.writeHead(state.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    received,
    get status() {
      return state.status;
    },
    set status(s: number) {
      state.status = s;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
