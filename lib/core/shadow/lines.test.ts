import { describe, expect, it } from "vitest";
import { LineSplitter, type LineEvent } from "./lines";

const enc = new TextEncoder();

/** Feeds the chunks and the end of the stream; returns every event and the final line count. */
function run(chunks: Uint8Array[], maxLineChars?: number): { events: LineEvent[]; lines: number } {
  const s = maxLineChars === undefined ? new LineSplitter() : new LineSplitter(maxLineChars);
  const events: LineEvent[] = [];
  for (const c of chunks) events.push(...s.push(c));
  events.push(...s.end());
  return { events, lines: s.lines };
}

/** Splits bytes at the given offsets. */
function cut(bytes: Uint8Array, at: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const a of [...at, bytes.length]) {
    out.push(bytes.subarray(prev, a));
    prev = a;
  }
  return out;
}

function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

const pendingOf = (s: LineSplitter) => (s as unknown as { pending: string }).pending;

describe("LineSplitter", () => {
  // Multi-byte characters (2-byte é, 4-byte emoji, 3-byte €), CRLF, blank and whitespace-only lines, no final newline.
  const SAMPLE = '{"a":"é"}\r\n\n{"b":"😀x"}\nplain € line\n   \r\n\r\nlast é😀';
  const EXPECTED: LineEvent[] = [
    { line: 1, text: '{"a":"é"}' },
    { line: 3, text: '{"b":"😀x"}' },
    { line: 4, text: "plain € line" },
    { line: 7, text: "last é😀" },
  ];

  it("splits a single chunk: CRLF stripped, blank lines numbered but not returned, final line without newline", () => {
    expect(run([enc.encode(SAMPLE)])).toEqual({ events: EXPECTED, lines: 7 });
  });

  it("gives the same lines when the bytes are split at every position (inside multi-byte characters too)", () => {
    const bytes = enc.encode(SAMPLE);
    for (let i = 0; i <= bytes.length; i++) expect(run(cut(bytes, [i])), `split at ${i}`).toEqual({ events: EXPECTED, lines: 7 });
  });

  it("gives the same lines for every pair of split positions and byte by byte", () => {
    const bytes = enc.encode(SAMPLE);
    for (let i = 0; i <= bytes.length; i++)
      for (let j = i; j <= bytes.length; j++) expect(run(cut(bytes, [i, j])), `split at ${i},${j}`).toEqual({ events: EXPECTED, lines: 7 });
    expect(run(chunked(bytes, 1))).toEqual({ events: EXPECTED, lines: 7 });
  });

  it("keeps a lone \\r inside a line and strips only the one before \\n", () => {
    expect(run([enc.encode("a\rb\r\nc\r\r\n")]).events).toEqual([
      { line: 1, text: "a\rb" },
      { line: 2, text: "c\r" },
    ]);
  });

  it("numbers blank lines without returning them", () => {
    expect(run([enc.encode("\n\n x\n\n\t\n")])).toEqual({ events: [{ line: 3, text: " x" }], lines: 5 });
    expect(run([enc.encode("\n\n\n")])).toEqual({ events: [], lines: 3 });
    expect(run([])).toEqual({ events: [], lines: 0 });
  });

  it("returns the last line from end() only when the stream did not end with a newline", () => {
    const s = new LineSplitter();
    expect(s.push(enc.encode("a\nb"))).toEqual([{ line: 1, text: "a" }]);
    expect(s.lines).toBe(1);
    expect(s.end()).toEqual([{ line: 2, text: "b" }]);
    expect(s.lines).toBe(2);
    const t = new LineSplitter();
    expect(t.push(enc.encode("a\n"))).toEqual([{ line: 1, text: "a" }]);
    expect(t.end()).toEqual([]);
    expect(t.lines).toBe(1);
  });

  it("a truncated multi-byte character at the very end becomes U+FFFD, not lost", () => {
    const bytes = enc.encode("ok\né");
    expect(run([bytes.subarray(0, bytes.length - 1)]).events).toEqual([
      { line: 1, text: "ok" },
      { line: 2, text: "\uFFFD" },
    ]);
  });

  describe("over-long lines", () => {
    const MAX = 10;
    const TEXT = `short\n${"x".repeat(25)}\nnext\n${"y".repeat(11)}\r\nlast`;
    const EXPECTED_LONG: LineEvent[] = [
      { line: 1, text: "short" },
      { line: 2, tooLong: true },
      { line: 3, text: "next" },
      { line: 4, tooLong: true },
      { line: 5, text: "last" },
    ];

    it("in one chunk: reported once with its number, the following lines numbered right", () => {
      expect(run([enc.encode(TEXT)], MAX)).toEqual({ events: EXPECTED_LONG, lines: 5 });
    });

    it("spread over many chunks (every chunk size, every split position): reported once", () => {
      const bytes = enc.encode(TEXT);
      for (let size = 1; size <= bytes.length; size++) expect(run(chunked(bytes, size), MAX), `chunks of ${size}`).toEqual({ events: EXPECTED_LONG, lines: 5 });
      for (let i = 0; i <= bytes.length; i++) expect(run(cut(bytes, [i]), MAX), `split at ${i}`).toEqual({ events: EXPECTED_LONG, lines: 5 });
    });

    it("a line of exactly maxLineChars is accepted, with LF or CRLF, wherever the chunks split", () => {
      const exact = "z".repeat(MAX);
      for (const eol of ["\n", "\r\n"]) {
        const bytes = enc.encode(`${exact}${eol}${exact}${eol}after`);
        const want = { events: [{ line: 1, text: exact }, { line: 2, text: exact }, { line: 3, text: "after" }], lines: 3 };
        for (let i = 0; i <= bytes.length; i++) expect(run(cut(bytes, [i]), MAX), `${JSON.stringify(eol)} split at ${i}`).toEqual(want);
        expect(run(chunked(bytes, 1), MAX)).toEqual(want);
      }
      // One character more is too long, however it arrives.
      const over = enc.encode(`${exact}!\r\nok\n`);
      for (let i = 0; i <= over.length; i++)
        expect(run(cut(over, [i]), MAX), `split at ${i}`).toEqual({ events: [{ line: 1, tooLong: true }, { line: 2, text: "ok" }], lines: 2 });
    });

    it("counts characters, not bytes: multi-byte characters up to the limit are fine", () => {
      const line = "é".repeat(MAX); // 20 bytes, 10 characters
      const bytes = enc.encode(`${line}\n${line}é\nend\n`);
      const want = { events: [{ line: 1, text: line }, { line: 2, tooLong: true }, { line: 3, text: "end" }], lines: 3 };
      for (let i = 0; i <= bytes.length; i++) expect(run(cut(bytes, [i]), MAX), `split at ${i}`).toEqual(want);
    });

    it("an over-long last line without a newline is reported once", () => {
      const bytes = enc.encode(`a\n${"x".repeat(25)}`);
      expect(run([bytes], MAX)).toEqual({ events: [{ line: 1, text: "a" }, { line: 2, tooLong: true }], lines: 2 });
      expect(run(chunked(bytes, 3), MAX)).toEqual({ events: [{ line: 1, text: "a" }, { line: 2, tooLong: true }], lines: 2 });
    });

    it("the default limit is 1,048,576 characters", () => {
      const ok = "a".repeat(1_048_576);
      const bytes = enc.encode(`${ok}\n${ok}b\nc\n`);
      const want = { events: [{ line: 1, text: ok }, { line: 2, tooLong: true }, { line: 3, text: "c" }], lines: 3 };
      expect(run([bytes])).toEqual(want);
      expect(run(chunked(bytes, 65_536))).toEqual(want);
      expect(run(chunked(bytes, 100_003))).toEqual(want);
    });
  });

  describe("bounded memory", () => {
    it("a 3 MB stream with no newline at all: one tooLong event, never more than ~1 MB held", () => {
      const s = new LineSplitter();
      const chunk = enc.encode("0123456789abcdef".repeat(4096)); // 64 KiB
      const events: LineEvent[] = [];
      let maxHeld = 0;
      for (let sent = 0; sent < 3 * 1024 * 1024; sent += chunk.length) {
        events.push(...s.push(chunk));
        maxHeld = Math.max(maxHeld, pendingOf(s).length);
      }
      events.push(...s.end());
      expect(events).toEqual([{ line: 1, tooLong: true }]);
      expect(s.lines).toBe(1);
      expect(maxHeld).toBeLessThanOrEqual(1_048_576);
      expect(pendingOf(s)).toBe("");
    });

    it("with a small maxLineChars, holds at most that many characters while skipping, then resumes", () => {
      const s = new LineSplitter(100);
      const chunk = enc.encode("x".repeat(1000));
      const events: LineEvent[] = [];
      let maxHeld = 0;
      for (let i = 0; i < 10_000; i++) {
        events.push(...s.push(chunk));
        maxHeld = Math.max(maxHeld, pendingOf(s).length);
      }
      expect(maxHeld).toBeLessThanOrEqual(100);
      expect(events).toEqual([{ line: 1, tooLong: true }]);
      events.push(...s.push(enc.encode("tail of the long line\nok\n")));
      events.push(...s.push(enc.encode("x".repeat(99))));
      maxHeld = Math.max(maxHeld, pendingOf(s).length);
      events.push(...s.end());
      expect(events).toEqual([
        { line: 1, tooLong: true },
        { line: 2, text: "ok" },
        { line: 3, text: "x".repeat(99) },
      ]);
      expect(maxHeld).toBeLessThanOrEqual(100);
      expect(s.lines).toBe(3);
    });

    it("pending text stays bounded when a long line arrives a few bytes at a time", () => {
      const s = new LineSplitter(50);
      let maxHeld = 0;
      const events: LineEvent[] = [];
      const piece = enc.encode("é😀ab");
      for (let i = 0; i < 5_000; i++) {
        events.push(...s.push(piece));
        maxHeld = Math.max(maxHeld, pendingOf(s).length);
      }
      events.push(...s.push(enc.encode("\nfine\n")), ...s.end());
      expect(maxHeld).toBeLessThanOrEqual(50);
      expect(events).toEqual([{ line: 1, tooLong: true }, { line: 2, text: "fine" }]);
    });
  });
});
