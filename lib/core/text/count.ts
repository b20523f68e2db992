/** "1 server", "3 servers", "1,234 lines": a count with its noun (regular English plurals only). */
export function count(n: number, noun: string): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? noun : `${noun}s`}`;
}
