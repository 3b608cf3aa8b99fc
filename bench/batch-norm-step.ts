/**
 * A paired A/B of one replica's --batch-norm training step (batch 64, the 2-worker shard of the default batch 128)
 * with the training batch normalization as the tfjs op sequence (A) and as the JS kernels on the wasm heap (B,
 * src/train/wasm-kernels/batch-norm-training.ts; the same bits). The two alternate in the same process, pair by pair,
 * the order swapped every pair, so the machine's load hits both alike; the figure is the ratio B/A per pair.
 * Also a per-op profile of one step of each (tf.profile: kernel time as the wasm backend reports it).
 *
 *   npx tsx bench/batch-norm-step.ts [--pairs 5] [--steps 20]
 *
 * Progress goes to stderr; the last line of stdout is one JSON object.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { loadDigitSet } from '../src/data/index.js';
import { useBatchNormJsKernels } from '../src/train/batch-norm-layer.js';
import { GradientStepper } from '../src/train/step.js';
import { getPreset, selectBackend } from '../src/train/index.js';
import { parseBenchArgs } from './bench-args.js';

const { values } = parseBenchArgs({
  usage: 'npx tsx bench/batch-norm-step.ts [--pairs N] [--steps N]',
  description: "A/B of one replica's --batch-norm training step (batch 64): tfjs op sequence (A) against the wasm-heap JS kernels (B).",
  options: {
    pairs: { type: 'string', default: '5', arg: 'n', help: 'A/B pairs, the order swapped every pair' },
    steps: { type: 'string', default: '20', arg: 'n', help: 'training steps timed in each half of a pair' },
  },
});
const pairs = Number(values.pairs);
const steps = Number(values.steps);
const BATCH = 64;

await selectBackend('wasm');
tf.enableProdMode();
const cnn = getPreset('cnn');
const train = loadDigitSet('mnist:train', BATCH * steps);
const stepper = new GradientStepper(cnn.layers, 1, 0.1, 0.999, 'ramp', true);
const x = new Float32Array(BATCH * 784);
const labels = new Int32Array(BATCH);
const grad = new Float32Array(stepper.size);

function step(k: number): void {
  const o = (k % steps) * BATCH;
  for (let i = 0; i < BATCH * 784; i++) x[i] = train.images[o * 784 + i] / 255;
  for (let i = 0; i < BATCH; i++) labels[i] = train.labels[o + i];
  stepper.gradients(x, labels, BATCH, 1, grad);
  stepper.apply(grad, 1e-3);
}

/** ms per step over `steps` steps, and the CPU time the process got in that span (ms per step). */
function timed(js: boolean): { wall: number; cpu: number } {
  useBatchNormJsKernels(js);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let k = 0; k < steps; k++) step(k);
  const wall = (performance.now() - t0) / steps;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 / steps };
}

async function profile(js: boolean): Promise<{ total: number; ops: Record<string, { ms: number; calls: number }> }> {
  useBatchNormJsKernels(js);
  const info = await tf.profile(() => step(0));
  const ops: Record<string, { ms: number; calls: number }> = {};
  let total = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = (ops[k.name] ??= { ms: 0, calls: 0 });
    e.ms += ms;
    e.calls++;
    total += ms;
  }
  return { total, ops };
}

timed(false);
timed(true); // warm-up of both
const load0 = os.loadavg()[0];
const results: Array<{ order: string; ops: { wall: number; cpu: number }; js: { wall: number; cpu: number }; ratioWall: number; ratioCpu: number; load: number }> = [];
for (let p = 0; p < pairs; p++) {
  const jsFirst = p % 2 === 1;
  const first = timed(jsFirst);
  const second = timed(!jsFirst);
  const [ops, js] = jsFirst ? [second, first] : [first, second];
  const r = { order: jsFirst ? 'B,A' : 'A,B', ops, js, ratioWall: js.wall / ops.wall, ratioCpu: js.cpu / ops.cpu, load: os.loadavg()[0] };
  results.push(r);
  process.stderr.write(`pair ${p + 1} (${r.order}): ops ${ops.wall.toFixed(1)} ms (cpu ${ops.cpu.toFixed(1)}), js ${js.wall.toFixed(1)} ms (cpu ${js.cpu.toFixed(1)}), B/A wall ${r.ratioWall.toFixed(3)} cpu ${r.ratioCpu.toFixed(3)}, load ${r.load.toFixed(2)}\n`);
}
const median = (v: number[]): number => { const s = [...v].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const profiles = { ops: await profile(false), js: await profile(true) };
const bnOps = ['Mean', 'Sum', 'Sub', 'Multiply', 'Add', 'Rsqrt', 'Square', 'RealDiv', 'Transpose', 'EdgeDigitsBatchNormTrainingForward', 'EdgeDigitsBatchNormTrainingBackward'];
for (const [name, pr] of Object.entries(profiles)) {
  const bn = bnOps.filter((o) => pr.ops[o]).map((o) => `${o} ${pr.ops[o].ms.toFixed(1)} ms/${pr.ops[o].calls}`).join(', ');
  process.stderr.write(`profile ${name}: kernels ${pr.total.toFixed(1)} ms a step; ${bn}\n`);
}
console.log(JSON.stringify({
  batch: BATCH, steps, pairs: results, medianRatioWall: median(results.map((r) => r.ratioWall)), medianRatioCpu: median(results.map((r) => r.ratioCpu)),
  loadBefore: load0, loadAfter: os.loadavg()[0], profiles,
}));
