/** A duration var (milliseconds, as text): its value when it is a positive number, else `fallback`. */
export function msSetting(text: string | undefined, fallback: number): number {
  const configured = Number(text);
  return Number.isFinite(configured) && configured > 0 ? configured : fallback;
}
