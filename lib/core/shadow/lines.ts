/**
 * Splits a byte stream into NDJSON lines in bounded memory. Pure (TextDecoder only). A line longer
 * than `maxLineChars` is reported once as too long and skipped up to its newline, so a file with no
 * newlines cannot make the reader hold it whole.
 */
export type LineEvent = { line: number; text: string } | { line: number; tooLong: true };

export class LineSplitter {
  private readonly decoder = new TextDecoder("utf-8");
  private pending = "";
  private skipping = false;
  private lineNo = 0;

  constructor(private readonly maxLineChars = 1_048_576) {}

  /** Lines completed by this chunk (blank lines are numbered but not returned). */
  push(chunk: Uint8Array): LineEvent[] {
    return this.split(this.decoder.decode(chunk, { stream: true }), false);
  }

  /** The last line when the stream did not end with a newline. */
  end(): LineEvent[] {
    return this.split(this.decoder.decode(), true);
  }

  /** Lines seen so far (including blank ones). */
  get lines(): number {
    return this.lineNo;
  }

  private split(text: string, final: boolean): LineEvent[] {
    const out: LineEvent[] = [];
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) break;
      this.emit(this.pending + text.slice(start, nl), out);
      this.pending = "";
      start = nl + 1;
    }
    const rest = text.slice(start);
    // A trailing "\r" may be the first half of a CRLF split across chunks: it is not part of the
    // line's length (emit strips it), so it must not make a line of exactly maxLineChars too long.
    const cr = (rest !== "" ? rest.endsWith("\r") : this.pending.endsWith("\r")) ? 1 : 0;
    if (this.skipping) {
      // Still inside an over-long line: drop what arrived.
    } else if (this.pending.length + rest.length - cr > this.maxLineChars) {
      this.lineNo++;
      out.push({ line: this.lineNo, tooLong: true });
      this.pending = "";
      this.skipping = true;
    } else this.pending += rest;
    if (final) {
      if (!this.skipping && this.pending !== "") this.emit(this.pending, out);
      this.pending = "";
      this.skipping = false;
    }
    return out;
  }

  private emit(raw: string, out: LineEvent[]): void {
    if (this.skipping) {
      // The newline that ends an over-long line (already counted and reported).
      this.skipping = false;
      return;
    }
    this.lineNo++;
    const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (text.length > this.maxLineChars) out.push({ line: this.lineNo, tooLong: true });
    else if (text.trim() !== "") out.push({ line: this.lineNo, text });
  }
}
