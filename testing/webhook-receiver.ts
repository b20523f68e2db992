/** Real HTTP servers on loopback standing in for a webhook (budget alerts, chat notices) or a forwarding sink (webhook, Splunk HEC, OTLP). */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface WebhookReceiver<T> {
  url: string;
  received: { body: T; contentType: string | undefined; userAgent: string | undefined }[];
  /** What it answers (204 unless set). */
  status: number;
  close: () => Promise<void>;
}

export interface RawRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface RawReceiver {
  /** The origin, e.g. `http://127.0.0.1:1234` (no path). */
  origin: string;
  requests: RawRequest[];
  /** What it answers (200 unless set). */
  status: number;
  close: () => Promise<void>;
}

/** Records every request as received (method, path, headers, body text), tells `onRequest`, and answers `status`. */
export async function startRawReceiver(status = 200, onRequest?: (request: RawRequest) => void): Promise<RawReceiver> {
  const requests: RawRequest[] = [];
  const state = { status };
  const server: Server = createServer((req: IncomingMessage, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString("utf8")));
    req.on("end", () => {
      const request = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, text };
      requests.push(request);
      onRequest?.(request);
      res.writeHead(state.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    get status() {
      return state.status;
    },
    set status(s: number) {
      state.status = s;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Records each JSON POST to `path` and answers `status`. */
export async function startWebhookReceiver<T = unknown>(path = "/hook"): Promise<WebhookReceiver<T>> {
  const received: WebhookReceiver<T>["received"] = [];
  const raw = await startRawReceiver(204, (r) => received.push({ body: JSON.parse(r.text) as T, contentType: r.headers["content-type"], userAgent: r.headers["user-agent"] }));
  return {
    url: `${raw.origin}${path}`,
    received,
    get status() {
      return raw.status;
    },
    set status(s: number) {
      raw.status = s;
    },
    close: raw.close,
  };
}
