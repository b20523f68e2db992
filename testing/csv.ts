/** RFC 4180 CSV (quoted fields may hold commas, quotes and line breaks; rows end in CRLF or LF) into rows of cells: for tests that read an export back. */
export function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (quoted || (c !== "," && c !== "\r" && c !== "\n")) {
      cell += c;
    } else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n") {
      out.push([...row, cell]);
      row = [];
      cell = "";
    }
  }
  if (cell !== "" || row.length) out.push([...row, cell]);
  return out;
}
