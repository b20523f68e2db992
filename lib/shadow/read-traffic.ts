import { createHash, type Hash } from "node:crypto";
import { PayloadTooLargeError } from "@/lib/errors";
import { LineSplitter, type LineEvent } from "@core/shadow/lines";
import { formatCount } from "@core/text/format";
import { parseLine, type TrafficFormat } from "@core/shadow/records";
import { ServerAggregator, type ServerSummary } from "@core/shadow/servers";

const MAX_BAD_SAMPLES = 100;
const FIRST_TEXT_CHARS = 1_000;

/** A run of consecutive lines of a traffic log, aggregated per server. */
export interface TrafficChunk {
  /** 1-based number of its first line; it holds lines firstLine … firstLine + lines - 1 (blank ones included). */
  firstLine: number;
  lines: number;
  /** Lines that were not a log record (or too long). */
  badLines: number;
  /** SHA-256 of its non-blank lines (decompressed), each followed by a newline: the same lines are the same chunk. */
  sha256: string;
  servers: ServerSummary[];
}

/**
 * Reads an NDJSON traffic log (plain or gzip, recognized by its magic bytes) as it arrives, one line at
 * a time through the detector into a per-server aggregate — never the whole body in memory. With
 * `chunkLines`, the aggregate of every run of that many lines is handed to `onChunk` as soon as the
 * line after it arrives (the caller commits it while the rest still streams); the last run is
 * returned by `read`. Counters stay readable after a failure, to say where the body stopped.
 */
export class TrafficReader {
  /** Bytes as received (gzip as sent), and after inflating. */
  bytes = 0;
  inflatedBytes = 0;
  badLines = 0;
  readonly badSamples: { line: number; error: string }[] = [];
  /** Records read per format. */
  readonly formats: Record<string, number> = {};
  /** Non-blank lines, and the first of them (clipped): a body of one known line (Logpush's destination check) is recognized by it. */
  nonBlankLines = 0;
  firstText: string | null = null;

  private readonly splitter = new LineSplitter();
  private readonly rawHash = createHash("sha256");
  private chunk = this.newChunk(1);

  constructor(
    private readonly options: {
      format?: TrafficFormat;
      chunkLines?: number;
      onChunk?: (chunk: TrafficChunk) => Promise<void>;
      /** Refuse (413) a body past this many bytes, as received and again after inflating (a small gzip can inflate a thousandfold). */
      maxBytes?: number;
      /** What a 413 tells the sender to do. */
      tooLargeAdvice?: string;
    } = {},
  ) {}

  /** Lines seen so far (blank ones included). */
  get lines(): number {
    return this.splitter.lines;
  }

  /** SHA-256 of the bytes as received; complete once `read` has returned. */
  get sha256(): string {
    return this.rawHash.copy().digest("hex");
  }

  /** Reads the whole body; hands each full chunk to `onChunk` (awaited, so a slow commit slows the read, not memory) and returns the last one. */
  async read(body: ReadableStream<Uint8Array>): Promise<TrafficChunk> {
    const max = this.options.maxBytes ?? Number.POSITIVE_INFINITY;
    const counted = body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform: (bytes, controller) => {
          this.bytes += bytes.byteLength;
          if (this.bytes > max) throw this.tooLarge(max, "as received");
          this.rawHash.update(bytes);
          controller.enqueue(bytes);
        },
      }),
    );
    const inflated = await inflateIfGzip(counted);
    const reader = inflated.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.inflatedBytes += value.byteLength;
        if (this.inflatedBytes > max) throw this.tooLarge(max, "decompressed");
        await this.take(this.splitter.push(value));
      }
      await this.take(this.splitter.end());
    } catch (error) {
      await reader.cancel(error).catch(() => undefined);
      throw error;
    }
    return this.finishChunk(this.splitter.lines - this.chunk.firstLine + 1);
  }

  private async take(events: LineEvent[]): Promise<void> {
    const size = this.options.chunkLines;
    for (const e of events) {
      // Every full run of lines before this one is a chunk; runs of blank lines only are skipped.
      while (size !== undefined && e.line >= this.chunk.firstLine + size) {
        const full = this.finishChunk(size);
        this.chunk = this.newChunk(full.firstLine + size);
        if (full.sha256 !== EMPTY_SHA256 && this.options.onChunk) await this.options.onChunk(full);
      }
      this.readLine(e);
    }
  }

  private readLine(e: LineEvent): void {
    const c = this.chunk;
    this.nonBlankLines++;
    if ("tooLong" in e) {
      c.hash.update(`\u0000line too long\n`);
      this.bad(e.line, "line longer than 1,048,576 characters");
      return;
    }
    if (this.firstText === null) this.firstText = e.text.slice(0, FIRST_TEXT_CHARS);
    c.hash.update(e.text);
    c.hash.update("\n");
    const p = parseLine(e.text, this.options.format);
    if (!p.ok) {
      this.bad(e.line, p.error);
      return;
    }
    this.formats[p.record.format] = (this.formats[p.record.format] ?? 0) + 1;
    c.agg.push(p.record);
  }

  private bad(line: number, error: string): void {
    this.badLines++;
    this.chunk.badLines++;
    if (this.badSamples.length < MAX_BAD_SAMPLES) this.badSamples.push({ line, error });
  }

  private tooLarge(max: number, how: string): PayloadTooLargeError {
    const advice = this.options.tooLargeAdvice ?? "Send it in smaller parts.";
    return new PayloadTooLargeError(`The body is larger than ${formatCount(max)} bytes (${how}), so nothing of it was stored. ${advice}`);
  }

  private newChunk(firstLine: number) {
    return { firstLine, badLines: 0, hash: createHash("sha256") as Hash, agg: new ServerAggregator() };
  }

  private finishChunk(lines: number): TrafficChunk {
    const c = this.chunk;
    return { firstLine: c.firstLine, lines: Math.max(0, lines), badLines: c.badLines, sha256: c.hash.digest("hex"), servers: c.agg.finish() };
  }
}

const EMPTY_SHA256 = createHash("sha256").digest("hex");

/** The stream itself, or inflated when it starts with gzip's magic bytes (1f 8b). */
async function inflateIfGzip(body: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>> {
  const reader = body.getReader();
  const first = await reader.read();
  const rest = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.done) controller.close();
      else controller.enqueue(first.value);
    },
    async pull(controller) {
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  const gzip = !first.done && first.value.byteLength >= 2 && first.value[0] === 0x1f && first.value[1] === 0x8b;
  return gzip ? rest.pipeThrough(new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>) : rest;
}
