/**
 * Orders strings by UTF-16 code units, as `Array.prototype.sort()` does: the same order on every
 * machine whatever its locale, and no ICU collator (`localeCompare` loads one, a few MiB of the
 * operator's memory for ordering ids that are ASCII anyway).
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
