/**
 * Every benchmark and helper script answers `--help` with its usage (exit 0) and rejects bad usage with one line
 * `<script>: <what was wrong> (see --help)` on stderr and exit 2, no stack trace (bench/bench-args.ts). Only
 * --help and bad usage are run: each script stops before loading data or measuring anything, except for the one
 * check that a default --help shows is the one a run uses (bench/firmware-size.ts, about 2 s of arm-none-eabi-gcc).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { toolsPresent } from './tools.js';

const ROOT = path.join(import.meta.dirname, '..');

/** Each script, and options (or, for the positional ones, argument names) its usage must name. */
const SCRIPTS: ReadonlyArray<{ file: string; names: readonly string[] }> = [
  { file: 'bench/batch-norm-step.ts', names: ['--pairs', '--steps'] },
  { file: 'bench/board-link.ts', names: ['artifact', 'windows', 'faulty'] },
  { file: 'bench/c-engine.ts', names: ['artifact', 'images'] },
  { file: 'bench/camera.ts', names: ['--set', '--per-condition', '--clean-untuned', '--workers', '--render-only'] },
  { file: 'bench/firmware-size.ts', names: ['artifact'] },
  { file: 'bench/m4-cost.ts', names: ['artifact', 'images'] },
  { file: 'bench/model-table.ts', names: ['--models', '--m4-images', '--frames', '--clean', '--out'] },
  { file: 'bench/serve.ts', names: ['--seconds', '--warmup', '--model'] },
  { file: 'bench/simulator.ts', names: ['artifact', 'images'] },
  { file: 'bench/startup.ts', names: ['BENCH_RUNS'] },
  { file: 'bench/train.ts', names: ['--images', '--threads', '--repeats', '--no-torch', '--no-batch-norm'] },
  { file: 'bench/train-validation.ts', names: ['epochs', 'emaWarmup'] },
  { file: 'bench/independent-photos/score.ts', names: ['--dir', '--threshold', '--from-json'] },
  { file: 'scripts/make-camera-frames.ts', names: ['--out', '--count', '--light-on-dark'] },
  { file: 'scripts/model-table.ts', names: ['--bench', '--readme', '--check'] },
];

interface Run { code: number | null; stdout: string; stderr: string }

/** The script as the package's bench scripts run it (tsx), with a time limit: a script without --help would run. */
function run(file: string, args: readonly string[]): Run {
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Exit 2 and exactly one stderr line, `<file>: <message> (see --help)`, with no stack frame. */
function expectUsageError(r: Run, file: string, message: string | RegExp): void {
  expect(r.code, `exit code; stderr: ${r.stderr}`).toBe(2);
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines, `stderr: ${r.stderr}`).toHaveLength(1);
  expect(lines[0]).not.toMatch(/^\s+at /);
  expect(lines[0].startsWith(`${file}: `), lines[0]).toBe(true);
  expect(lines[0].endsWith(' (see --help)'), lines[0]).toBe(true);
  const text = lines[0].slice(file.length + 2, -' (see --help)'.length);
  if (typeof message === 'string') expect(text).toBe(message);
  else expect(text).toMatch(message);
  expect(r.stdout).toBe('');
}

describe('--help on every bench and helper script', () => {
  for (const { file, names } of SCRIPTS) {
    it(file, () => {
      const r = run(file, ['--help']);
      expect(r.code, `exit code; stderr: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^usage: /m);
      expect(r.stdout).toContain(file);
      for (const name of names) expect(r.stdout, `the usage names ${name}`).toContain(name);
      expect(r.stderr).toBe('');
    }, 60_000);
  }

  it('-h is --help', () => {
    const long = run('scripts/model-table.ts', ['--help']);
    const short = run('scripts/model-table.ts', ['-h']);
    expect(short.code).toBe(0);
    expect(short.stdout).toBe(long.stdout);
  }, 60_000);
});

describe('bad usage: one line, exit 2, no stack trace', () => {
  it('an unknown option (an options script, a positional one, one with its own HELP text)', () => {
    for (const file of ['scripts/model-table.ts', 'bench/firmware-size.ts', 'scripts/make-camera-frames.ts']) {
      expectUsageError(run(file, ['--no-such-option']), file, "Unknown option '--no-such-option'");
    }
  }, 120_000);

  it('an option without its value', () => {
    expectUsageError(run('scripts/model-table.ts', ['--bench']), 'scripts/model-table.ts', "Option '--bench <value>' argument missing");
  }, 60_000);

  it('one positional argument too many', () => {
    expectUsageError(run('bench/firmware-size.ts', ['models/default/model.int8.json', 'extra']), 'bench/firmware-size.ts', "unexpected argument 'extra'");
    expectUsageError(run('scripts/model-table.ts', ['README.md']), 'scripts/model-table.ts', "unexpected argument 'README.md'");
  }, 60_000);
});

describe('a default --help shows is the one the script uses', () => {
  it('bench/camera.ts --per-condition', () => {
    expect(run('bench/camera.ts', ['--help']).stdout).toMatch(/^ +--per-condition <n> +digit frames per condition \(default: 50\)$/m);
  }, 60_000);

  it.skipIf(!toolsPresent('bench-help: firmware-size default', ['arm-none-eabi-gcc']))('bench/firmware-size.ts artifact: the model measured without arguments', () => {
    const shown = /^ {2}artifact +.*\(default: (.+)\)$/m.exec(run('bench/firmware-size.ts', ['--help']).stdout)?.[1];
    expect(shown).toBe('models/default/model.int8.json');
    const r = run('bench/firmware-size.ts', []);
    expect(r.code, `exit code; stderr: ${r.stderr}`).toBe(0);
    const last = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { model: unknown };
    expect(last.model).toBe(shown);
  }, 120_000);
});
