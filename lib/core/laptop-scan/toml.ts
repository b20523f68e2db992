/**
 * A small TOML reader, enough for Codex's `config.toml` (`[mcp_servers.<name>]` tables with
 * strings, arrays and inline tables). Not a full TOML implementation: dates stay strings, and
 * `[[array-of-tables]]` sections are skipped. Errors carry an offset, never the text.
 */

type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}

export class TomlError extends Error {
  constructor(readonly position: number) {
    super(`invalid TOML at position ${position}`);
  }
}

export function parseToml(text: string): TomlTable {
  // Null-prototype tables: a `[__proto__]` section in a hostile file must not reach Object.prototype.
  const root = newTable();
  let current: TomlTable | null = root;
  let i = 0;

  const fail = (): never => {
    throw new TomlError(i);
  };
  const skipSpace = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t")) i++;
  };
  const skipComment = () => {
    if (text[i] === "#") while (i < text.length && text[i] !== "\n") i++;
  };
  /** Whitespace, newlines and comments (inside arrays). */
  const skipAll = () => {
    for (;;) {
      skipSpace();
      if (text[i] === "#") skipComment();
      else if (text[i] === "\n" || text[i] === "\r") i++;
      else return;
    }
  };

  function parseString(): string {
    const quote = text[i] as string;
    if (text.startsWith(quote.repeat(3), i)) {
      const end = text.indexOf(quote.repeat(3), i + 3);
      if (end === -1) fail();
      const raw = text.slice(i + 3, end).replace(/^\r?\n/, "");
      i = end + 3;
      return quote === '"' ? unescape(raw) : raw;
    }
    i++;
    let out = "";
    while (i < text.length && text[i] !== quote) {
      if (text[i] === "\n") fail();
      if (quote === '"' && text[i] === "\\") {
        const end = i + 2 + (text[i + 1] === "u" ? 4 : text[i + 1] === "U" ? 8 : 0);
        out += unescape(text.slice(i, end));
        i = end;
      } else out += text[i++];
    }
    if (text[i] !== quote) fail();
    i++;
    return out;
  }

  function parseKey(): string[] {
    const parts: string[] = [];
    for (;;) {
      skipSpace();
      if (text[i] === '"' || text[i] === "'") parts.push(parseString());
      else {
        const m = /^[A-Za-z0-9_-]+/.exec(text.slice(i, i + 256));
        if (!m) fail();
        parts.push((m as RegExpExecArray)[0]);
        i += (m as RegExpExecArray)[0].length;
      }
      skipSpace();
      if (text[i] !== ".") return parts;
      i++;
    }
  }

  function parseValue(): TomlValue {
    skipSpace();
    const c = text[i];
    if (c === '"' || c === "'") return parseString();
    if (c === "[") {
      i++;
      const list: TomlValue[] = [];
      for (;;) {
        skipAll();
        if (text[i] === "]") {
          i++;
          return list;
        }
        list.push(parseValue());
        skipAll();
        if (text[i] === ",") i++;
        else if (text[i] !== "]") fail();
      }
    }
    if (c === "{") {
      i++;
      const table = newTable();
      skipSpace();
      if (text[i] === "}") {
        i++;
        return table;
      }
      for (;;) {
        const key = parseKey();
        if (text[i] !== "=") fail();
        i++;
        assign(table, key, parseValue());
        skipSpace();
        if (text[i] === ",") i++;
        else if (text[i] === "}") {
          i++;
          return table;
        } else fail();
      }
    }
    const m = /^[^\s,\]}#]+/.exec(text.slice(i, i + 256));
    if (!m) fail();
    const token = (m as RegExpExecArray)[0];
    i += token.length;
    if (token === "true" || token === "false") return token === "true";
    const n = Number(token.replace(/_/g, ""));
    return Number.isNaN(n) ? token : n;
  }

  while (i < text.length) {
    skipAll();
    if (i >= text.length) break;
    if (text[i] === "[") {
      const arrayOfTables = text[i + 1] === "[";
      i += arrayOfTables ? 2 : 1;
      const key = parseKey();
      if (text[i] !== "]") fail();
      i += arrayOfTables ? 2 : 1;
      current = arrayOfTables ? null : tableAt(root, key);
    } else {
      const key = parseKey();
      if (text[i] !== "=") fail();
      i++;
      const value = parseValue();
      if (current) assign(current, key, value);
    }
    skipSpace();
    skipComment();
    if (i < text.length && text[i] !== "\n" && text[i] !== "\r") fail();
  }
  return root;
}

const newTable = (): TomlTable => Object.create(null) as TomlTable;

function unescape(raw: string): string {
  return raw.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/gs, (_m, e: string) => {
    if (e.length > 1) return String.fromCodePoint(parseInt(e.slice(1), 16));
    return ({ n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", '"': '"', "\\": "\\" } as Record<string, string>)[e] ?? e;
  });
}

function tableAt(root: TomlTable, key: string[]): TomlTable {
  let table = root;
  for (const part of key) {
    const next = table[part];
    if (typeof next === "object" && next !== null && !Array.isArray(next)) table = next;
    else {
      const created = newTable();
      table[part] = created;
      table = created;
    }
  }
  return table;
}

function assign(table: TomlTable, key: string[], value: TomlValue) {
  const last = key[key.length - 1] as string;
  tableAt(table, key.slice(0, -1))[last] = value;
}
