/** "1 server", "3 servers": a count with its noun (regular English plurals only). */
export function count(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : `${noun}s`}`;
}
