/**
 * Every bad input the CLI is known to have mishandled: each gives exit code 2 (usage / bad input) or 1 (a run
 * that failed), and exactly one `edge-digits: …` line on stderr naming the problem — checked on the built CLI.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { idxBytes, REPO, runCli, type CliRun } from './cli-support.js';

const MODEL = path.join(REPO, 'models', 'default');
const ARTIFACT = path.join(MODEL, 'model.int8.json');
const tmp = mkdtempSync(path.join(tmpdir(), 'edge-digits-bad-input-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = (...args: string[]): Promise<CliRun> => runCli(args, { cwd: tmp });

/** Exit code, and the error as the one `edge-digits:` line; informational lines (backend: …, progress) may precede it. */
function expectError(r: CliRun, code: number, message: string | RegExp, o: { onlyLine?: boolean } = {}): void {
  expect(r.code, `exit code; stderr: ${r.stderr}`).toBe(code);
  const all = r.stderr.split('\n').filter(Boolean);
  const errors = all.filter((l) => l.startsWith('edge-digits: '));
  expect(errors, `stderr: ${r.stderr}`).toHaveLength(1);
  expect(all.at(-1)).toBe(errors[0]);
  if (o.onlyLine ?? true) expect(all, `nothing but the error on stderr: ${r.stderr}`).toHaveLength(1);
  const text = errors[0].slice('edge-digits: '.length);
  if (typeof message === 'string') expect(text).toBe(message);
  else expect(text).toMatch(message);
}

/** A labelled IDX set of 30×30 images: right format, wrong size for the models. */
function thirtyByThirty(): string {
  const prefix = path.join(tmp, 'thirty');
  writeFileSync(`${prefix}-images-idx3-ubyte`, idxBytes([4, 30, 30], new Uint8Array(4 * 900).fill(7)));
  writeFileSync(`${prefix}-labels-idx1-ubyte`, idxBytes([4], Uint8Array.from([1, 2, 3, 4])));
  return prefix;
}

describe('image size and label count are checked on every data path', () => {
  const prefix = thirtyByThirty();
  const sizeMessage = `${prefix}-images-idx3-ubyte: images are 30×30; edge-digits models take 28×28 (MNIST layout) (at byte 8)`;

  it('eval --data with 30×30 images', async () => {
    expectError(await cli('eval', '--model', ARTIFACT, '--data', prefix, '--json'), 2, sizeMessage);
  });

  it('quantize --train-data with 30×30 images, before any calibration', async () => {
    expectError(await cli('quantize', '--model', MODEL, '--train-data', prefix, '--out', path.join(tmp, 'q.int8.json')), 2, sizeMessage);
  });

  it('predict --idx with 30×30 images', async () => {
    expectError(await cli('predict', '--model', ARTIFACT, '--idx', `${prefix}-images-idx3-ubyte`), 2, sizeMessage);
  });

  it('train --train-data whose label count differs from the image count', async () => {
    const p = path.join(tmp, 'fewlabels');
    writeFileSync(`${p}-images-idx3-ubyte`, idxBytes([3, 28, 28], new Uint8Array(3 * 784)));
    writeFileSync(`${p}-labels-idx1-ubyte`, idxBytes([2], Uint8Array.from([1, 2])));
    expectError(await cli('train', '--train-data', p, '--out', path.join(tmp, 'never')), 2, `${p}-labels-idx1-ubyte: 2 labels but ${p}-images-idx3-ubyte has 3 images (at byte 4)`);
  });
});

describe('numeric options are range-checked in one line', () => {
  it('--batch-size 1e8', async () => {
    expectError(await cli('train', '--batch-size', '1e8', '--out', path.join(tmp, 'never')), 2, "--batch-size expects an integer from 1 to 8192, got '1e8'");
  });

  it('--lr 1e9', async () => {
    expectError(await cli('train', '--lr', '1e9', '--out', path.join(tmp, 'never')), 2, "--lr expects a number > 0 and ≤ 10, got '1e9'");
  });

  it('a negative number is a value, not an ambiguous option', async () => {
    expectError(await cli('train', '--epochs', '-3', '--out', path.join(tmp, 'never')), 2, "--epochs expects an integer from 1 to 1000, got '-3'");
    expectError(await cli('train', '--lr', '-0.5', '--out', path.join(tmp, 'never')), 2, "--lr expects a number > 0 and ≤ 10, got '-0.5'");
  });

  it('--min-confidence 5', async () => {
    expectError(await cli('run', '--engine', 'sim', '--source', 'mnist:test', '--min-confidence', '5'), 2, "--min-confidence expects a number ≥ 0 and ≤ 1, got '5'");
  });
});

describe('outputs and paths are checked before long work', () => {
  it('quantize --out <existing folder> says so before calibrating', async () => {
    const dir = path.join(tmp, 'a-folder');
    mkdirSync(dir, { recursive: true });
    expectError(await cli('quantize', '--model', MODEL, '--out', dir), 2, `--out ${dir} is a folder; give a file path such as ${path.join(dir, 'model.int8.json')}`);
  });

  it('train --out on an existing model refuses without --force, naming what --force would remove', async () => {
    const dir = path.join(tmp, 'existing');
    mkdirSync(dir, { recursive: true });
    for (const f of ['model.json', 'weights.bin', 'model.int8.json']) copyFileSync(path.join(MODEL, f), path.join(dir, f));
    mkdirSync(path.join(dir, 'firmware'));
    const before = readFileSync(path.join(dir, 'weights.bin'));
    expectError(await cli('train', '--out', dir, '--limit', '100', '--epochs', '1'), 2, `--out ${dir} already holds a model; pass --force to replace it (its firmware, model.int8.json will be removed: they were made from the old model), or choose a new folder`);
    expect(readFileSync(path.join(dir, 'weights.bin')).equals(before)).toBe(true);
  });

  it('a truncated weights.bin names the file and both sizes', async () => {
    const dir = path.join(tmp, 'truncated');
    mkdirSync(dir, { recursive: true });
    for (const f of ['model.json', 'weights.bin']) copyFileSync(path.join(MODEL, f), path.join(dir, f));
    truncateSync(path.join(dir, 'weights.bin'), 1000);
    const r = await cli('eval', '--model', dir, '--limit', '10');
    expectError(r, 2, new RegExp(`^${path.join(dir, 'weights.bin').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: 1000 bytes, but ${path.join(dir, 'model.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} describes \\d+ bytes of weights \\(truncated, or from another model\\)$`));
  });

  it('a regular file as --port says it is not a serial port', async () => {
    const file = path.join(tmp, 'not-a-port.txt');
    writeFileSync(file, 'hello\n');
    const msg = `--port ${file} is a regular file, not a serial port (give the board's device, e.g. /dev/ttyACM0)`;
    expectError(await cli('classify', '--port', file, file), 2, msg);
    expectError(await cli('board', '--port', file), 2, msg);
    expectError(await cli('eval', '--model', ARTIFACT, '--engine', 'board', '--port', file, '--limit', '5'), 2, msg);
  });
});

describe('a run that fails exits 1', () => {
  it('a diverging training stops with a clear message, and writes no model', async () => {
    const out = path.join(tmp, 'diverged');
    const r = await cli('train', '--limit', '1000', '--test-limit', '100', '--epochs', '1', '--batch-size', '16', '--lr', '10', '--augment', 'off', '--out', out);
    expectError(r, 1, /^training diverged: the loss (is (NaN|Infinity) at batch \d+|stayed above its starting [\d.]+ for 20 batches \(now .+ at batch \d+\)); lower the learning rate \(now 10\)$/, { onlyLine: false });
    expect(() => readFileSync(path.join(out, 'model.json'))).toThrow();
  }, 120_000);
});
