import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../src/data/index.js';
import { loadDigitSet } from '../src/data/index.js';
import { loadArtifact, logisticTable, prepareLogistic, Simulator } from '../src/quantize/index.js';
import { canRun } from './board-support.js';

/*
 * TFLite Micro's own int8 Logistic as the oracle: test/c/logistic_tflm_oracle.cc compiled against ../shared/tflm
 * (TFLM's reference kernels and gemmlowp, unchanged) with the build line of ../shared/tflm/README.md. Prepare
 * (multiplier, left shift, radius) and all 256 outputs must equal the simulator's for every quantization tried,
 * including the logistic layer of the shipped models/mlp; and test/c/tflm_mlp_oracle.cc runs the whole of models/mlp
 * with TFLM's kernels on the 10k test images. The C kernel equals the simulator (test/logistic-c.test.ts),
 * so it equals TFLM too. Skips loudly without g++ or ../shared/tflm; fails under CI=true.
 */

const TFLM = path.resolve('..', 'shared', 'tflm');
const ORACLE = path.join('test', 'c', 'logistic_tflm_oracle.cc');
const MODEL_ORACLE = path.join('test', 'c', 'tflm_mlp_oracle.cc');
const MLP = path.join('models', 'mlp', 'model.int8.json');
const haveTflm = existsSync(path.join(TFLM, 'tensorflow', 'lite', 'kernels', 'internal', 'reference', 'integer_ops', 'logistic.h'));
if (!haveTflm) console.warn(`\n*** logistic-tflm: ${TFLM} missing — SKIPPING the TFLM oracle test (fails under CI=true) ***\n`);

describe.runIf(canRun('logistic-tflm (TFLM reference Logistic oracle)', ['g++']) && (haveTflm || process.env.CI === 'true'))('simulator logistic ≡ TFLM reference_integer_ops::Logistic', () => {
  let dir = '';
  let oracle = '';
  let modelOracle = '';
  /** The build line of ../shared/tflm/README.md. */
  const build = (source: string, exe: string): void => {
    const internal = path.join(TFLM, 'tensorflow', 'lite', 'kernels', 'internal');
    const r = spawnSync('g++', ['-O2', '-std=c++17', `-I${TFLM}`, '-DTF_LITE_STATIC_MEMORY', source,
      ...['common.cc', 'runtime_shape.cc', 'quantization_util.cc'].map((f) => path.join(internal, f)), '-o', exe], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building the TFLM oracle ${source} failed:\n${r.stderr}`);
  };
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ed-tflm-logistic-'));
    oracle = path.join(dir, 'oracle');
    modelOracle = path.join(dir, 'model-oracle');
    build(ORACLE, oracle);
    build(MODEL_ORACLE, modelOracle);
  }, 180_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function oracleRun(cases: readonly { scale: number; zp: number }[]): { prepared: number[]; outputs: Int8Array }[] {
    const input = Buffer.alloc(cases.length * 8);
    cases.forEach((c, i) => {
      input.writeFloatLE(c.scale, i * 8);
      input.writeInt32LE(c.zp, i * 8 + 4);
    });
    const r = spawnSync(oracle, [], { input, maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`TFLM oracle failed: ${r.stderr.toString('utf8')}`);
    const rec = 12 + 256;
    expect(r.stdout.length).toBe(cases.length * rec);
    return cases.map((_, i) => ({
      prepared: [0, 1, 2].map((k) => r.stdout.readInt32LE(i * rec + 4 * k)),
      outputs: new Int8Array(r.stdout.buffer, r.stdout.byteOffset + i * rec + 12, 256),
    }));
  }

  function compare(cases: readonly { scale: number; zp: number }[]): string[] {
    const differing: string[] = [];
    oracleRun(cases).forEach((o, i) => {
      const { scale, zp } = cases[i];
      const p = prepareLogistic(scale);
      const ours = [p.inputMultiplier, p.inputLeftShift, p.inputRangeRadius];
      if (ours.join() !== o.prepared.join()) differing.push(`scale ${scale}: prepare ${ours.join(', ')} vs TFLM ${o.prepared.join(', ')}`);
      const table = logisticTable(zp, p);
      for (let k = 0; k < 256; k++) {
        if (table[k] !== o.outputs[k] && differing.length < 8) differing.push(`scale ${scale} zp ${zp} q ${k - 128}: ours ${table[k]}, TFLM ${o.outputs[k]}`);
      }
    });
    return differing;
  }

  it('prepare and all 256 outputs for 500 random float32 (scale, zero point) pairs over every left shift 0..30', () => {
    const rng = createRng(0x7f1e);
    const cases = [{ scale: 1 / 16, zp: 0 }, { scale: 4, zp: 0 }, { scale: 2 ** -28, zp: -128 }, { scale: Math.fround(7.999999), zp: 127 }];
    while (cases.length < 500) {
      const e = -28 + rng() * 31;
      const scale = cases.length % 9 === 0 ? 2 ** Math.floor(e) : Math.fround(2 ** e);
      if (scale < 8) cases.push({ scale, zp: Math.floor(rng() * 256) - 128 });
    }
    expect(compare(cases)).toEqual([]);
  }, 60_000);

  it.runIf(existsSync(MLP))('the logistic layer of models/mlp', () => {
    const model = loadArtifact(MLP);
    const layers = model.layers.filter((l) => l.op === 'logistic');
    expect(layers.length).toBe(1);
    expect(compare(layers.map((l) => ({ scale: l.input.scale, zp: l.input.zeroPoint })))).toEqual([]);
    // The artifact's stored prepare is TFLM's (the loader already insists it equals prepareLogistic).
    const o = oracleRun([{ scale: layers[0].input.scale, zp: layers[0].input.zeroPoint }])[0];
    const l = layers[0];
    expect(l.op === 'logistic' && [l.inputMultiplier, l.inputLeftShift, l.inputRangeRadius]).toEqual(o.prepared);
  }, 60_000);

  it.runIf(existsSync(MLP))('models/mlp end to end: TFLM FullyConnectedPerChannel → Logistic → FullyConnectedPerChannel gives the simulator\'s logits on all 10k test images', () => {
    const model = loadArtifact(MLP);
    const words: number[] = [model.layers.length];
    const scales: { at: number; scale: number }[] = [];
    for (const l of model.layers) {
      if (l.op === 'dense') {
        words.push(1, l.inShape[0], l.outShape[0], -l.input.zeroPoint, l.output.zeroPoint, l.activationMin, l.activationMax, ...l.weights, ...l.bias, ...l.multipliers, ...l.shifts);
      } else if (l.op === 'logistic') {
        words.push(2, l.outShape[0], l.input.zeroPoint, 0);
        scales.push({ at: words.length - 1, scale: l.input.scale });
      } else throw new Error(`the model oracle runs dense and logistic layers, not ${l.op}`);
    }
    const test = loadDigitSet('mnist:test');
    words.push(test.count);
    const header = Buffer.alloc(words.length * 4);
    words.forEach((w, i) => header.writeInt32LE(w, i * 4));
    for (const s of scales) header.writeFloatLE(s.scale, s.at * 4); // float32 bits, as a .tflite file stores scales
    const r = spawnSync(modelOracle, [], { input: Buffer.concat([header, Buffer.from(test.images.buffer, test.images.byteOffset, test.count * 784)]), maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`TFLM model oracle failed (exit ${String(r.status)}): ${r.stderr.toString('utf8')}`);
    expect(r.stdout.length).toBe(test.count * 10);
    const tflm = new Int8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.length);
    const ours = new Simulator(model).classifyMany(test.images, test.count).logits;
    let differing = 0;
    let first = '';
    for (let i = 0; i < ours.length; i++) {
      if (ours[i] !== tflm[i]) {
        if (!differing) first = `image ${Math.floor(i / 10)} logit ${i % 10}: ours ${ours[i]}, TFLM ${tflm[i]}`;
        differing++;
      }
    }
    expect({ differing, first }).toEqual({ differing: 0, first: '' });
  }, 120_000);
});
