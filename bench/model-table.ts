// The cnn-vs-mlp comparison behind the README's model table: for each shipped model, the accuracy of the float and
// int8 engines on the 10k MNIST test images (`edge-digits eval`), Cortex-M4 flash and RAM (bench/firmware-size.ts),
// instructions per inference on the emulated Cortex-M4 (bench/m4-cost.ts, QEMU -icount: instructions, not cycles)
// and camera-like accuracy (bench/camera.ts on its rendered 640×480 clip). Each figure is read from the JSON line the
// sub-benchmark or command prints; all of them are kept under "runs" so the table can be traced back.
//   tsx bench/model-table.ts [options]      (--help: every option and its default)
// scripts/model-table.ts renders the README table from the written file.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../src/files/index.js';
import { parseBenchArgs, usageError } from './bench-args.js';

const { values } = parseBenchArgs({
  usage: 'npm run bench:models [-- options]      (or: npx tsx bench/model-table.ts [options])',
  description: `The cnn-vs-mlp comparison behind the README's model table: float and int8 accuracy, Cortex-M4 flash/RAM,
emulated Cortex-M4 instructions and camera-like accuracy of each model; render the table with npm run readme:models.`,
  options: {
    models: { type: 'string', default: 'models/default,models/mlp', arg: 'a,b', help: 'comma-separated model folders' },
    'm4-images': { type: 'string', default: '20', arg: 'n', help: 'images for bench/m4-cost.ts' },
    frames: { type: 'string', default: '50', arg: 'n', help: 'held-out digit frames per camera condition (bench/camera.ts)' },
    clean: { type: 'string', default: '2000', arg: 'n', help: 'clean MNIST digits for bench/camera.ts' },
    out: { type: 'string', default: path.join('docs', 'bench', 'model-table.json'), arg: 'file', help: 'the JSON written' },
  },
});
const positive = (v: string | undefined, name: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) usageError(`--${name} must be a positive integer, got '${v}'`);
  return n;
};
const m4Images = positive(values['m4-images'], 'm4-images');
const frames = positive(values.frames, 'frames');
const clean = positive(values.clean, 'clean');
const log = (s: string): void => { process.stderr.write(`${s}\n`); };

type Json = Record<string, unknown>;

/** Runs a tsx entry point and returns the JSON object its last stdout line holds (the benchmarks' contract). */
function lastJson(what: string, args: readonly string[]): Json {
  log(`${what}: tsx ${args.join(' ')}`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...args], { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${String(r.status)}):\n${r.stderr.split('\n').slice(-20).join('\n')}`);
  const lines = r.stdout.trim().split('\n');
  const parsed = JSON.parse(lines[lines.length - 1]) as Json;
  log(`  ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return parsed;
}

const num = (o: Json, ...keys: string[]): number => {
  let v: unknown = o;
  for (const k of keys) v = (v as Json | undefined)?.[k];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`expected a number at ${keys.join('.')}, got ${JSON.stringify(v)}`);
  return v;
};

const rows: Json[] = [];
const runs: Record<string, Record<string, Json>> = {};
for (const dir of values.models.split(',').map((s) => s.trim()).filter(Boolean)) {
  const artifact = path.join(dir, 'model.int8.json');
  const report = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as { preset?: unknown };
  const floatEval = lastJson(`${dir}: float accuracy`, ['src/cli/main.ts', 'eval', '--model', dir, '--engine', 'float', '--json']);
  const int8Eval = lastJson(`${dir}: int8 accuracy`, ['src/cli/main.ts', 'eval', '--model', artifact, '--engine', 'sim', '--json']);
  const size = lastJson(`${dir}: Cortex-M4 flash/RAM`, ['bench/firmware-size.ts', artifact]);
  const m4 = lastJson(`${dir}: emulated Cortex-M4 cost`, ['bench/m4-cost.ts', artifact, String(m4Images)]);
  // The simulator answers exactly as the board does (every engine is bit-exact); sim keeps this run short. The
  // untuned clean check uses the cnn validation model whichever model this row is, so it is left to bench:camera.
  const camera = lastJson(`${dir}: camera-like accuracy`, ['bench/camera.ts', '--model', artifact, '--engine', 'sim', '--set', 'held-out', '--per-condition', String(frames), '--clean', String(clean), '--clean-untuned', '0']);
  runs[dir] = { float_eval: floatEval, int8_eval: int8Eval, firmware_size: size, m4_cost: m4, camera };
  rows.push({
    model: dir,
    preset: typeof report.preset === 'string' ? report.preset : path.basename(dir),
    params: num(size, 'params'),
    macs: num(size, 'macs_per_image'),
    float_accuracy: num(floatEval, 'accuracy'),
    int8_accuracy: num(int8Eval, 'accuracy'),
    test_images: num(int8Eval, 'n'),
    flash_bytes: num(size, 'flash_bytes'),
    ram_bytes: num(size, 'ram_bytes'),
    m4_kernels: String(size.kernels ?? 'dsp'),
    m4_instructions_per_inference: num(m4, 'dsp', 'instructions_per_inference'),
    m4_instructions_per_inference_portable: num(m4, 'portable', 'instructions_per_inference'),
    m4_images: num(m4, 'images'),
    camera_like_accuracy: num(camera, 'scenes', 'overall', 'right'),
    camera_like_frames: num(camera, 'scenes', 'overall', 'digits'),
    camera_seed: num(camera, 'scenes', 'seed'),
  });
}

const out = {
  bench: 'model-table',
  units: { params: 'count', macs: 'multiply-accumulates per image', flash_bytes: 'bytes', ram_bytes: 'bytes', m4_instructions_per_inference: 'instructions (QEMU -icount), not cycles' },
  settings: { m4_images: m4Images, camera_frames: frames, camera_clean: clean, camera_engine: 'sim' },
  models: rows,
  runs,
  machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  date: new Date().toISOString(),
};
writeFileAtomic(values.out, JSON.stringify(out, null, 2) + '\n');
log(`wrote ${values.out}; render the README table with: npm run readme:models`);
console.log(JSON.stringify(out));
