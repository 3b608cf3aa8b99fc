import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { helpText, runCommand, type Command } from '../src/cli/command.js';
import { snakeCaseKeys } from '../src/cli/json-output.js';
import { REPO, runCli, type CliRun } from './cli-support.js';
import { getPreset, modelCost } from '../src/train/index.js';
import { DEFAULT_AUGMENT, scaleAugment } from '../src/data/index.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'edge-digits-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(...args: string[]): Promise<CliRun> {
  return runCli(args);
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l.length > 0);

/** A failed run: non-zero exit, and the problem as exactly one `edge-digits: …` line, no stack trace. */
function expectOneErrorLine(r: CliRun, code: number, message: string | RegExp): void {
  expect(r.code, `exit code; stderr: ${r.stderr}`).toBe(code);
  const err = lines(r.stderr);
  expect(err, `stderr: ${r.stderr}`).toHaveLength(1);
  expect(err[0].startsWith('edge-digits: ')).toBe(true);
  if (typeof message === 'string') expect(err[0]).toBe(`edge-digits: ${message}`);
  else expect(err[0]).toMatch(message);
}

/** A command's object, found by the convention that command `x` lives in src/cli/commands/x.ts. */
async function commandNamed(name: string): Promise<Command> {
  const file = path.join(REPO, 'src', 'cli', 'commands', `${name}.ts`);
  expect(existsSync(file), `command '${name}' is listed by --help but ${file} does not exist`).toBe(true);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const cmd = Object.values(mod).find((v): v is Command => typeof v === 'object' && v !== null && (v as Command).name === name && typeof (v as Command).run === 'function');
  if (!cmd) throw new Error(`${file} exports no Command named '${name}'`);
  return cmd;
}

let topHelp: Promise<CliRun> | undefined;
/** `edge-digits --help`, spawned once: several tests read it (each spawn costs ~2 s of CPU loading tfjs). */
const topLevelHelp = (): Promise<CliRun> => (topHelp ??= cli('--help'));

describe('edge-digits --help', () => {
  it('top level lists the commands and exits 0', async () => {
    const r = await topLevelHelp();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: edge-digits <command> [options]');
    expect(r.stdout).toMatch(/\ncommands:\n {2}train {2,}\S/);
    expect(r.stderr).toBe('');
  }, 60_000);

  it('every listed command has --help with its usage and every option, returning exit code 0', async () => {
    const names = (await topLevelHelp()).stdout.split('commands:\n')[1].split('\n\n')[0].split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
    expect(names).toEqual(expect.arrayContaining(['train', 'eval']));
    for (const name of names) {
      // In-process through the same runCommand main.ts uses: a spawn per command costs ~2 s of CPU loading tfjs.
      const cmd = await commandNamed(name);
      const written: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
      let code: number;
      try {
        code = await runCommand(cmd, ['--help']);
      } finally {
        spy.mockRestore();
      }
      const help = written.join('');
      expect(code, `${name} --help`).toBe(0);
      expect(help).toBe(helpText(cmd) + '\n');
      expect(help).toMatch(new RegExp(`^edge-digits ${name} — `));
      expect(help).toContain(`usage: edge-digits ${name}`);
      for (const option of [...Object.keys(cmd.options), 'help']) expect(help, `${name} --help`).toContain(`--${option}`);
    }
  }, 60_000);

  it('the top-level summary of each command is the command\'s own', async () => {
    const listed = (await topLevelHelp()).stdout.split('commands:\n')[1].split('\n\n')[0].split('\n').filter(Boolean);
    for (const line of listed) {
      const [, name, summary] = /^ {2}(\S+)\s+(.*)$/.exec(line) ?? [];
      expect((await commandNamed(name)).summary, `main.ts registry entry of '${name}'`).toBe(summary);
    }
  }, 60_000);

  it('--version prints the package version', async () => {
    const r = await cli('--version');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${(JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version}\n`);
  }, 60_000);

  it('train --help through the launcher exits 0 with the same text', async () => {
    const r = await cli('train', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(helpText(await commandNamed('train')) + '\n');
    expect(r.stdout).toMatch(/--limit <N>\s+use only the first N training images/);
    expect(r.stderr).toBe('');
  }, 60_000);
});

describe('edge-digits bad input: non-zero exit and one stderr line naming the problem', () => {
  it('unknown command', async () => {
    expectOneErrorLine(await cli('bogus'), 2, /^edge-digits: unknown command 'bogus'; commands: ([a-z-]+, )*train(, [a-z-]+)*$/);
  }, 60_000);

  it('unknown option', async () => {
    expectOneErrorLine(await cli('eval', '--model', 'x', '--frobnicate'), 2, "Unknown option '--frobnicate'; see 'edge-digits eval --help'");
  }, 60_000);

  it('missing --model', async () => {
    expectOneErrorLine(await cli('eval', '--limit', '10'), 2, '--model is required');
  }, 60_000);

  it('bad --limit', async () => {
    expectOneErrorLine(await cli('eval', '--model', 'x', '--limit', 'many'), 2, "--limit expects an integer ≥ 1, got 'many'");
  }, 60_000);

  it('train --clean-epochs beyond --epochs, before any data is read', async () => {
    expectOneErrorLine(await cli('train', '--epochs', '3', '--clean-epochs', '4', '--out', path.join(tmp, 'never')), 2, "--clean-epochs expects an integer from 0 to 3, got '4'");
  }, 60_000);

  it('train --augment-strength out of range or not a number, before any data is read', async () => {
    expectOneErrorLine(await cli('train', '--augment-strength', '6', '--out', path.join(tmp, 'never')), 2, "--augment-strength expects a number ≥ 0 and ≤ 5, got '6'");
    expectOneErrorLine(await cli('train', '--augment-strength', 'weak', '--out', path.join(tmp, 'never')), 2, "--augment-strength expects a number ≥ 0 and ≤ 5, got 'weak'");
  }, 60_000);

  it('train --ema-warmup not one of the choices, before any data is read', async () => {
    expectOneErrorLine(await cli('train', '--ema-warmup', 'linear', '--out', path.join(tmp, 'never')), 2, "--ema-warmup must be one of ramp, bias-corrected, got 'linear'");
  }, 60_000);

  it('train --batch-norm with --no-batch-norm, before any data is read', async () => {
    expectOneErrorLine(await cli('train', '--batch-norm', '--no-batch-norm', '--out', path.join(tmp, 'never')), 2, '--batch-norm and --no-batch-norm contradict each other: give one');
  }, 60_000);

  it('nonexistent model path', async () => {
    const missing = path.join(tmp, 'no-such-model');
    const r = await cli('eval', '--model', missing, '--limit', '10');
    // eval reports its backend on stderr before it opens the model; that diagnostic is the only other line allowed.
    const r2: CliRun = { ...r, stderr: lines(r.stderr).filter((l) => !l.startsWith('backend: ')).join('\n') };
    expectOneErrorLine(r2, 2, `${missing}: no such model folder or file`);
    expect(lines(r.stderr).at(-1)).toBe(`edge-digits: ${missing}: no such model folder or file`);
  }, 60_000);
});

describe('edge-digits train → eval', () => {
  const out = path.join(tmp, 'quick');
  let train: CliRun;

  beforeAll(async () => {
    train = await cli('train', '--limit', '2000', '--epochs', '1', '--test-limit', '500', '--out', out, '--json');
  }, 180_000);

  it('train exits 0 and prints its report as one JSON line', () => {
    expect(train.code, train.stderr).toBe(0);
    expect(lines(train.stdout)).toHaveLength(1);
    const printed = JSON.parse(train.stdout) as unknown;
    // --json output is snake_case (docs/cli-json.md); report.json keeps its own keys.
    expect(printed).toEqual(snakeCaseKeys(JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'))));
    expect(train.stderr).toMatch(/^backend: /);
    expect(train.stderr).toMatch(/epoch 1\/1 .*test \d+\.\d+%/);
  });

  it('writes model.json, weights.bin, report.json, training.png and confusion.png', () => {
    for (const f of ['model.json', 'weights.bin', 'report.json', 'training.png', 'confusion.png']) {
      expect(existsSync(path.join(out, f)), f).toBe(true);
    }
  });

  it('report.json has params, macs and the epoch history', () => {
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as {
      preset: string; params: number; macs: number; trainImages: number; testImages: number; epochs: number; cleanEpochs: number;
      labelSmoothing: number; emaDecay: number; emaWarmup: string | null; augmentStrength: number; augment: { shift: number } | null; batchNorm: boolean;
      history: { epoch: number; loss: number; trainAccuracy: number; testAccuracy: number; samplesPerSecond: number }[];
      float: { testAccuracy: number; confusion: number[][] };
    };
    expect(report.preset).toBe('cnn');
    expect({ params: report.params, macs: report.macs }).toEqual(modelCost(getPreset('cnn').layers));
    expect([report.trainImages, report.testImages, report.epochs]).toEqual([2000, 500, 1]);
    // A one-epoch run keeps its only epoch augmented whatever the preset's clean epochs; the rest are the preset's.
    const d = getPreset('cnn').defaults;
    expect([report.cleanEpochs, report.labelSmoothing, report.emaDecay, report.emaWarmup, report.augmentStrength])
      .toEqual([0, d.labelSmoothing, d.emaDecay, d.emaWarmup, d.augmentStrength]);
    expect(report.augment).toEqual(scaleAugment(DEFAULT_AUGMENT, d.augmentStrength)); // the magnitudes it trained with
    expect(report.batchNorm).toBe(d.batchNorm);
    expect(train.stderr).toContain(', batch norm (folded on export)');
    expect(report.history).toHaveLength(1);
    const h = report.history[0];
    expect(h.epoch).toBe(1);
    expect(h.loss).toBeGreaterThan(0);
    expect(h.loss).toBeLessThan(Math.log(10));
    expect(h.samplesPerSecond).toBeGreaterThan(0);
    expect(h.testAccuracy).toBe(report.float.testAccuracy);
    expect(report.float.confusion.flat().reduce((a, b) => a + b, 0)).toBe(500);
  });

  it('--no-batch-norm trains the plain recipe and says so', async () => {
    const plain = path.join(tmp, 'plain');
    const r = await cli('train', '--no-batch-norm', '--limit', '300', '--epochs', '1', '--test-limit', '100', '--out', plain);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(readFileSync(path.join(plain, 'report.json'), 'utf8')) as { batchNorm: boolean }).batchNorm).toBe(false);
    expect(r.stdout).not.toContain('batch norm');
  }, 180_000);

  it('the PNG charts decode and are not blank', async () => {
    for (const f of ['training.png', 'confusion.png']) {
      const img = sharp(path.join(out, f));
      const meta = await img.metadata();
      expect(meta.format, f).toBe('png');
      expect(meta.width, f).toBeGreaterThan(300);
      expect(meta.height, f).toBeGreaterThan(200);
      const stats = await img.stats();
      // Drawn lines and text: the darkest pixel is far from the white background.
      expect(Math.min(...stats.channels.slice(0, 3).map((c) => c.min)), f).toBeLessThan(128);
    }
  });

  it('eval --json on the trained model: accuracy, n, engine float, a 10×10 confusion summing to n', async () => {
    const r = await cli('eval', '--model', out, '--limit', '500', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)).toHaveLength(1);
    const e = JSON.parse(r.stdout) as { accuracy: number; n: number; engine: string; confusion: number[][]; per_class_accuracy: number[]; seconds: number };
    expect(e.engine).toBe('float');
    expect(e.n).toBe(500);
    expect(e.accuracy).toBeGreaterThanOrEqual(0);
    expect(e.accuracy).toBeLessThanOrEqual(1);
    expect(e.confusion).toHaveLength(10);
    for (const row of e.confusion) expect(row).toHaveLength(10);
    expect(e.confusion.flat().reduce((a, b) => a + b, 0)).toBe(500);
    expect(e.accuracy).toBeCloseTo(e.confusion.reduce((a, row, i) => a + row[i], 0) / 500, 12);
    expect(e.per_class_accuracy).toHaveLength(10);
    expect(typeof e.seconds).toBe('number');
    // The saved model reloads to the same predictions training measured on the same 500 test images.
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as { float: { testAccuracy: number } };
    expect(e.accuracy).toBe(report.float.testAccuracy);
    // 32 steps of a fresh CNN: far from done, but far above the 10 % of a guess.
    expect(e.accuracy).toBeGreaterThan(0.3);
  }, 60_000);
});
