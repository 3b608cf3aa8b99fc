/** Every field, typed arrays by content, keys sorted: equal only when two results hold the same values (-0, NaN and
 * ±Infinity spelled out, undefined fields left out). */
export function canonical(v: unknown): string {
  if (typeof v === 'number') {
    if (Object.is(v, -0)) return '"-0"';
    return Number.isFinite(v) ? String(v) : `"${String(v)}"`;
  }
  if (v instanceof Uint8Array) return `"u8:${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}"`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
