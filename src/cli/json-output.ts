/**
 * One JSON style for every --json output: snake_case keys (docs/cli-json.md). Objects built from internal
 * camelCase types (a report, a clock, a size) go through snakeCaseKeys on the way out, so the rule holds without
 * every command spelling each key twice.
 */
export function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

export function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (value instanceof Uint8Array || value instanceof Int8Array || value instanceof Int32Array || value instanceof Float32Array) return Array.from(value);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [snakeCase(k), snakeCaseKeys(v)]));
  }
  return value;
}

/** Writes `value` as one line of JSON with snake_case keys. */
export function writeJsonLine(value: unknown, out: { write(s: string): unknown } = process.stdout): void {
  out.write(`${JSON.stringify(snakeCaseKeys(value))}\n`);
}
