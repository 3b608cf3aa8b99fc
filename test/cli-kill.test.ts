/**
 * SIGKILL at random points never loses an output: train (model folder), quantize (artifact) and firmware
 * (firmware folder) are killed mid-run several times over an existing output; each time the folder or file is
 * either exactly the previous output or a complete new one, and it loads. The delays are random within the
 * measured length of a full run (printed, so a failure can be replayed with KILL_DELAYS_MS=…).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifact } from '../src/quantize/load.js';
import { readModelFiles } from '../src/train/model-io.js';
import { runCli, writeMnistSubset, type CliRun } from './cli-support.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'edge-digits-kill-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const KILLS = 3;

function cli(args: readonly string[], killAfterMs?: number): Promise<CliRun> {
  return runCli(args, { cwd: tmp, ...(killAfterMs === undefined ? {} : { killAfterMs }) });
}

/** Random kill points over a run that takes `fullMs`, from the start up to just past its end. */
function killDelays(fullMs: number): number[] {
  const given = process.env.KILL_DELAYS_MS?.split(',').map(Number);
  if (given?.length) return given;
  return Array.from({ length: KILLS }, () => Math.round(150 + Math.random() * fullMs));
}

/** Relative path → sha256 of every file under `dir` (hidden temporary siblings are outside it). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p, r);
      else out[r] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}

function fileHash(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

let trainData = '';
let testData = '';
beforeAll(() => {
  // Small IDX sets so each run is short.
  trainData = writeMnistSubset(path.join(tmp, 'train'), 'mnist:train', 2000);
  testData = writeMnistSubset(path.join(tmp, 'test'), 'mnist:test', 300);
});

describe('SIGKILL at random points leaves the previous output intact and loadable', () => {
  const model = path.join(tmp, 'model');
  const artifact = path.join(tmp, 'model', 'model.int8.json');

  it('train: the model folder is the old one or a complete new one', async () => {
    const args = (seed: number): string[] => ['train', '--train-data', trainData, '--test-data', testData, '--limit', '500', '--epochs', '1', '--seed', String(seed), '--out', model, '--force'];
    const first = await cli(args(1));
    expect(first.code, first.stderr).toBe(0);
    const old = snapshot(model);
    readModelFiles(model);
    const full = await cli(args(2));
    expect(full.code, full.stderr).toBe(0);
    const fresh = snapshot(model);
    expect(fresh['weights.bin']).not.toBe(old['weights.bin']);
    let previous = fresh;
    const delays = killDelays(full.ms);
    console.log(`train: full run ${full.ms.toFixed(0)} ms; SIGKILL after ${delays.join(', ')} ms`);
    for (const [i, delay] of delays.entries()) {
      const r = await cli(args(3 + i), delay);
      const now = snapshot(model);
      readModelFiles(model); // topology and weights agree, whichever model it is
      if (r.signal === 'SIGKILL' && JSON.stringify(now) !== JSON.stringify(previous)) {
        // A kill after the folder swap but before exit leaves the new model, whole: it must be this run's.
        const report = JSON.parse(readFileSync(path.join(model, 'report.json'), 'utf8')) as { seed?: unknown };
        expect(report.seed, `killed after ${delay} ms: the folder is neither the old model nor this run's`).toBe(3 + i);
        expect(Object.keys(now).sort()).toEqual(['confusion.png', 'model.json', 'report.json', 'training.png', 'weights.bin']);
      } else if (r.signal !== 'SIGKILL') {
        expect(r.code, r.stderr).toBe(0);
        expect(Object.keys(now).sort()).toEqual(['confusion.png', 'model.json', 'report.json', 'training.png', 'weights.bin']);
      }
      previous = now;
    }
  }, 600_000);

  it('quantize: the artifact is the old one or a complete new one', async () => {
    const args = (seed: number): string[] => ['quantize', '--model', model, '--train-data', trainData, '--test-data', testData, '--calibration', '300', '--selection', '300', '--seed', String(seed), '--out', artifact];
    const first = await cli(args(1));
    expect(first.code, first.stderr).toBe(0);
    loadArtifact(artifact);
    let previous = fileHash(artifact);
    const full = await cli(args(2));
    expect(full.code, full.stderr).toBe(0);
    const delays = killDelays(full.ms);
    console.log(`quantize: full run ${full.ms.toFixed(0)} ms; SIGKILL after ${delays.join(', ')} ms`);
    previous = fileHash(artifact);
    for (const [i, delay] of delays.entries()) {
      const r = await cli(args(3 + i), delay);
      loadArtifact(artifact); // parses and validates, whichever artifact it is
      const now = fileHash(artifact);
      if (r.signal === 'SIGKILL' && now !== previous) {
        // A kill after the rename but before exit leaves the new artifact, whole: the same seed run to the end
        // must give the same bytes (quantization is deterministic for a seed).
        const again = await cli(args(3 + i));
        expect(again.code, again.stderr).toBe(0);
        expect(fileHash(artifact), `killed after ${delay} ms: the artifact is neither the old one nor this run's`).toBe(now);
      } else if (r.signal !== 'SIGKILL') expect(r.code, r.stderr).toBe(0);
      previous = fileHash(artifact);
    }
    expect(readdirSync(path.dirname(artifact)).filter((n) => n.includes('.tmp-') && statSync(path.join(path.dirname(artifact), n)).isFile()).length).toBeLessThanOrEqual(KILLS);
  }, 600_000);

  it('firmware: the folder holds one generation, never a mix of two', async () => {
    // Two artifacts (two calibration seeds) give two different generations of the same file names.
    const a = path.join(tmp, 'a.int8.json');
    const b = path.join(tmp, 'b.int8.json');
    for (const [file, seed] of [[a, '11'], [b, '12']] as const) {
      const r = await cli(['quantize', '--model', model, '--train-data', trainData, '--test-data', testData, '--calibration', '300', '--selection', '300', '--seed', seed, '--out', file]);
      expect(r.code, r.stderr).toBe(0);
    }
    const generation: Record<string, Record<string, string>> = {};
    for (const file of [a, b]) {
      const dir = path.join(tmp, `fw-${path.basename(file)}`);
      const r = await cli(['firmware', '--model', file, '--out', dir]);
      expect(r.code, r.stderr).toBe(0);
      generation[file] = snapshot(dir);
    }
    expect(generation[a]).not.toEqual(generation[b]);
    const out = path.join(tmp, 'fw');
    const full = await cli(['firmware', '--model', a, '--out', out]);
    expect(full.code, full.stderr).toBe(0);
    let current = a;
    const delays = killDelays(full.ms);
    console.log(`firmware: full run ${full.ms.toFixed(0)} ms; SIGKILL after ${delays.join(', ')} ms`);
    for (const delay of delays) {
      const next = current === a ? b : a;
      const r = await cli(['firmware', '--model', next, '--out', out], delay);
      const now = snapshot(out);
      if (r.signal === 'SIGKILL') {
        // A kill that lands after the folder swap but before exit leaves the new generation, whole: also one, not a mix.
        const whole = [current, next].find((g) => JSON.stringify(now) === JSON.stringify(generation[g]));
        expect(whole, `killed after ${delay} ms: the folder matches neither generation`).toBeDefined();
        current = whole ?? current;
      } else {
        expect(r.code, r.stderr).toBe(0);
        expect(now).toEqual(generation[next]);
        current = next;
      }
    }
    expect(existsSync(out)).toBe(true);
  }, 600_000);

  it('train --force over a quantized model with firmware removes the stale artifact and firmware, keeps other files', async () => {
    expect(existsSync(artifact)).toBe(true);
    const fw = await cli(['firmware', '--model', artifact, '--out', path.join(model, 'firmware', 'host')]);
    expect(fw.code, fw.stderr).toBe(0);
    writeFileSync(path.join(model, 'NOTES.md'), 'mine\n');
    const r = await cli(['train', '--train-data', trainData, '--test-data', testData, '--limit', '300', '--epochs', '1', '--out', model, '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`removed ${path.join(model, 'firmware')}, ${artifact}: made from the previous model`);
    expect(readdirSync(model).sort()).toEqual(['NOTES.md', 'confusion.png', 'model.json', 'report.json', 'training.png', 'weights.bin']);
    expect(JSON.parse(readFileSync(path.join(model, 'report.json'), 'utf8'))).not.toHaveProperty('int8');
  }, 300_000);
});
