/**
 * docs/cli-json.md against the real thing: each example tagged ```json output=<name> is compared with what the
 * built CLI prints for that output — same keys, same nesting, same JSON types (null matches anything; arrays are
 * compared element by element over the shorter one). Every key must also be snake_case.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageAt, loadDigitSet } from '../src/data/index.js';
import { REPO, runCli, writeMnistSubset } from './cli-support.js';
import { toolsPresent } from './tools.js';

const ARTIFACT = path.join(REPO, 'models', 'default', 'model.int8.json');
const DOC = path.join(REPO, 'docs', 'cli-json.md');
const tmp = mkdtempSync(path.join(tmpdir(), 'edge-digits-json-doc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function documented(): Map<string, unknown> {
  const examples = new Map<string, unknown>();
  for (const m of readFileSync(DOC, 'utf8').matchAll(/```json output=([a-z-]+)\n([\s\S]*?)```/g)) examples.set(m[1], JSON.parse(m[2].trim()) as unknown);
  return examples;
}

/** Where `got` differs in shape from `want`, as a list of `path: reason`; empty when they agree. */
export function shapeDifferences(want: unknown, got: unknown, at = '$'): string[] {
  if (want === null || got === null) return [];
  const kind = (v: unknown): string => (Array.isArray(v) ? 'array' : typeof v);
  if (kind(want) !== kind(got)) return [`${at}: documented ${kind(want)}, printed ${kind(got)}`];
  if (Array.isArray(want) && Array.isArray(got)) {
    return want.slice(0, Math.min(want.length, got.length)).flatMap((w, i) => shapeDifferences(w, got[i], `${at}[${i}]`));
  }
  if (typeof want === 'object') {
    const w = want as Record<string, unknown>;
    const g = got as Record<string, unknown>;
    // no_digit is a map from reason to count: its keys are data, not fields.
    if (at.endsWith('.no_digit')) return [];
    return [
      ...Object.keys(w).filter((k) => !(k in g)).map((k) => `${at}.${k}: documented, not printed`),
      ...Object.keys(g).filter((k) => !(k in w)).map((k) => `${at}.${k}: printed, not documented`),
      ...Object.keys(w).filter((k) => k in g).flatMap((k) => shapeDifferences(w[k], g[k], `${at}.${k}`)),
    ];
  }
  return [];
}

function nonSnakeKeys(v: unknown, at = '$'): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => nonSnakeKeys(x, `${at}[${i}]`));
  if (v === null || typeof v !== 'object' || at.endsWith('.no_digit')) return [];
  return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => [...(/^[a-z0-9]+(_[a-z0-9]+)*$/.test(k) ? [] : [`${at}.${k}`]), ...nonSnakeKeys(x, `${at}.${k}`)]);
}

async function cli(args: readonly string[], o: { untilFirstLine?: boolean } = {}): Promise<{ code: number | null; lines: unknown[]; stderr: string }> {
  const r = await runCli(args, { cwd: tmp, ...o });
  return { code: r.code, stderr: r.stderr, lines: r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown) };
}

const examples = documented();
const printed = new Map<string, unknown>();

function check(name: string, real: unknown): void {
  printed.set(name, real);
  expect(examples.has(name), `docs/cli-json.md has no \`\`\`json output=${name} example`).toBe(true);
  expect(shapeDifferences(examples.get(name), real), `${name}: real output vs docs/cli-json.md`).toEqual([]);
  expect(nonSnakeKeys(real), `${name}: keys not in snake_case`).toEqual([]);
}

describe('docs/cli-json.md matches what the commands print', () => {
  let small = '';
  beforeAll(() => {
    // A 500-image set keeps train and quantize short.
    small = writeMnistSubset(path.join(tmp, 'small'), 'mnist:test', 500);
  });

  it('predict', async () => {
    const r = await cli(['predict', '--model', ARTIFACT, '--engine', 'sim', '--limit', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    for (const line of r.lines) check('predict', line);
  });

  it('eval', async () => {
    const r = await cli(['eval', '--model', ARTIFACT, '--engine', 'sim', '--limit', '200', '--json']);
    expect(r.code, r.stderr).toBe(0);
    check('eval', r.lines[0]);
  });

  it('run: frames and summary', async () => {
    const r = await cli(['run', '--engine', 'sim', '--model', ARTIFACT, '--source', 'mnist:test', '--limit', '5', '--json']);
    expect(r.code, r.stderr).toBe(0);
    for (const line of r.lines.slice(0, -1)) check('run-frame', line);
    check('run-summary', r.lines.at(-1));
  });

  it('train and quantize', async () => {
    const out = path.join(tmp, 'model');
    const t = await cli(['train', '--train-data', small, '--test-data', small, '--limit', '300', '--test-limit', '100', '--epochs', '1', '--out', out, '--json']);
    expect(t.code, t.stderr).toBe(0);
    check('train', t.lines[0]);
    const q = await cli(['quantize', '--model', out, '--train-data', small, '--test-data', small, '--calibration', '100', '--selection', '100', '--json']);
    expect(q.code, q.stderr).toBe(0);
    check('quantize', q.lines[0]);
    // --limit: calibration and range choice see only the first N training images, and the artifact says so.
    const limited = path.join(tmp, 'limited.int8.json');
    const l = await cli(['quantize', '--model', out, '--train-data', small, '--test-data', small, '--calibration', '100', '--selection', '100', '--limit', '250', '--out', limited, '--json']);
    expect(l.code, l.stderr).toBe(0);
    const artifact = JSON.parse(readFileSync(limited, 'utf8')) as { calibration: { source: string } };
    expect(artifact.calibration.source).toBe(`${small}[0:250]`);
    const tooFew = await cli(['quantize', '--model', out, '--train-data', small, '--calibration', '100', '--selection', '100', '--limit', '150', '--out', limited]);
    expect(tooFew.code).not.toBe(0);
    expect(tooFew.stderr).toContain('exceed the 150 training images');
  }, 300_000);

  it('firmware', async () => {
    const r = await cli(['firmware', '--model', ARTIFACT, '--out', path.join(tmp, 'fw'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    check('firmware', r.lines[0]);
  });

  describe.runIf(toolsPresent('cli-json-doc (virtual board)', ['gcc']))('on the virtual board', () => {
    it('classify: a result and an error', async () => {
      const digit = path.join(tmp, 'digit.png');
      await sharp(Buffer.from(imageAt(loadDigitSet('mnist:test', 1), 0)), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(digit);
      const blank = path.join(tmp, 'blank.png');
      await sharp({ create: { width: 200, height: 200, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toFile(blank);
      const r = await cli(['classify', '--virtual', '--model', ARTIFACT, '--json', digit, blank]);
      const byFile = new Map(r.lines.map((l) => [(l as { file: string }).file, l]));
      check('classify', byFile.get('digit.png'));
      check('classify-error', byFile.get('blank.png'));
    }, 120_000);

    it('board --virtual', async () => {
      const r = await cli(['board', '--virtual', '--model', ARTIFACT, '--json'], { untilFirstLine: true });
      check('board-virtual', r.lines[0]);
    }, 120_000);
  });

  it('every documented output was checked', () => {
    const skippedWithoutGcc = printed.has('classify') ? [] : ['classify', 'classify-error', 'board-virtual'];
    expect([...examples.keys()].filter((k) => !printed.has(k) && !skippedWithoutGcc.includes(k))).toEqual([]);
  });
});
