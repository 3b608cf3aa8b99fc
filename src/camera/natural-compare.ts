const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Orders names as people do: frame-2 before frame-10 (digit runs compare by value). */
export function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}
