import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng, DEFAULT_AUGMENT, loadDigitSet, type DigitSet } from '../src/data/index.js';
import { GradientStepper, rampedEmaDecay } from '../src/train/step.js';
import {
  buildModel, EpochProgress, evaluateFloat, getPreset, layerCosts, learningRateAt, loadModel, modelCost, modelHash,
  predictFloatLogits, PRESETS, saveModel, selectBackend, trainModel, type TrainResult,
} from '../src/train/index.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'edge-digits-train-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function silentTraining(preset: string, train: DigitSet, test: DigitSet, o: { lr: number; batch: number; seed: number; workers?: number; augment?: boolean }): Promise<TrainResult> {
  return trainModel({
    preset: getPreset(preset), epochs: 1, batchSize: o.batch, learningRate: o.lr, seed: o.seed, augment: o.augment ? DEFAULT_AUGMENT : null,
    train, test, progress: { write: () => undefined }, workers: o.workers,
  });
}

function flatWeights(r: TrainResult): number[] {
  const w = r.model.getWeights().flatMap((t) => Array.from(t.dataSync()));
  r.model.dispose();
  return w;
}

describe('learningRateAt (warm-up then cosine decay)', () => {
  const base = 2e-3;
  const total = 1000;

  it('warms up linearly to the base rate', () => {
    const warm = 50; // min(200, total / 20)
    expect(learningRateAt(base, 0, total)).toBeCloseTo(base / warm, 12);
    expect(learningRateAt(base, warm - 1, total)).toBeCloseTo(base, 12);
    expect(learningRateAt(base, warm, total)).toBeCloseTo(base, 12);
  });

  it('decays monotonically to base/50 at the end', () => {
    let prev = Infinity;
    for (let step = 50; step < total; step++) {
      const lr = learningRateAt(base, step, total);
      expect(lr).toBeLessThanOrEqual(prev);
      prev = lr;
    }
    expect(learningRateAt(base, total, total)).toBeCloseTo(base / 50, 12);
  });

  it('caps the warm-up at 200 steps and skips it on tiny runs', () => {
    expect(learningRateAt(base, 199, 100_000)).toBeCloseTo(base, 12);
    expect(learningRateAt(base, 100, 100_000)).toBeCloseTo((base * 101) / 200, 12);
    expect(learningRateAt(base, 0, 10)).toBe(base);
  });
});

describe('presets as data', () => {
  for (const name of Object.keys(PRESETS)) {
    it(`${name}: layerCosts agree with the tfjs model built from the same list`, () => {
      const preset = getPreset(name);
      const model = buildModel(preset.layers, 1);
      const costs = layerCosts(preset.layers);
      expect(model.layers.length).toBe(costs.length);
      model.layers.forEach((layer, i) => {
        expect((layer.outputShape as number[]).slice(1), `layer ${i} (${layer.name}) output`).toEqual(costs[i].outShape);
        expect(layer.countParams(), `layer ${i} (${layer.name}) params`).toBe(costs[i].params);
      });
      expect(modelCost(preset.layers).params).toBe(model.countParams());
      model.dispose();
    });
  }

  it('cnn MACs: Σ outH·outW·filters·k²·inC plus the dense layer', () => {
    // 26·26·16·9·1 + 11·11·32·9·16 + 3·3·64·9·32 + 576·10
    expect(modelCost(getPreset('cnn').layers).macs).toBe(97344 + 557568 + 165888 + 5760);
  });

  it('unknown preset names the known ones', () => {
    expect(() => getPreset('resnet')).toThrow("unknown preset 'resnet'; known presets: cnn, mlp");
  });
});

describe('trainModel on the wasm backend', () => {
  let train: DigitSet;
  let test: DigitSet;

  beforeAll(async () => {
    const backend = await selectBackend('wasm');
    expect(backend.name).toBe('wasm');
    train = loadDigitSet('mnist:train', 4000);
    test = loadDigitSet('mnist:test', 1000);
  });

  it('the cnn preset learns MNIST: > 90 % on 1,000 test images after one epoch of 4,000', async () => {
    const tensorsBefore = tf.memory().numTensors;
    // A larger peak rate and batch 32 than the preset's defaults: 125 steps must do what 15 epochs do slowly.
    const r = await silentTraining('cnn', train, test, { lr: 5e-3, batch: 32, seed: 1 });
    console.log(`cnn, 4000 images, 1 epoch: test accuracy ${(r.test.accuracy * 100).toFixed(1)} %, ${r.history[0].samplesPerSecond.toFixed(0)} img/s`);
    expect(r.test.accuracy).toBeGreaterThan(0.9);
    expect(r.test.n).toBe(1000);
    expect(r.test.confusion.flat().reduce((a, b) => a + b, 0)).toBe(1000);
    expect(r.history).toHaveLength(1);
    const h = r.history[0];
    expect(h.epoch).toBe(1);
    expect(h.loss).toBeLessThan(Math.log(10)); // below the loss of a uniform guess
    expect(h.trainAccuracy).toBeGreaterThan(0.5);
    expect(h.testAccuracy).toBe(r.test.accuracy);
    expect(h.learningRate).toBeLessThan(5e-3 / 10); // the cosine schedule has run down
    expect(h.samplesPerSecond).toBeGreaterThan(0);
    expect({ params: r.params, macs: r.macs }).toEqual(modelCost(getPreset('cnn').layers));
    // Only the model's own weights may survive the run (no per-step or optimizer leaks).
    expect(tf.memory().numTensors - tensorsBefore).toBe(r.model.weights.length);

    // The evaluation helpers and a save/load round trip agree with what training reported.
    expect(evaluateFloat(r.model, test)).toEqual(r.test);
    await saveModel(r.model, tmp);
    const json = JSON.parse(readFileSync(path.join(tmp, 'model.json'), 'utf8')) as { format: string; weightsManifest: { paths: string[] }[] };
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    const loaded = await loadModel(tmp);
    const first100 = test.images.subarray(0, 100 * 784);
    expect(Array.from(predictFloatLogits(loaded, first100, 100))).toEqual(Array.from(predictFloatLogits(r.model, first100, 100)));
    expect(modelHash(tmp)).toMatch(/^[0-9a-f]{64}$/);
    expect(modelHash(path.join(tmp, 'model.json'))).toBe(modelHash(tmp));
    r.model.dispose();
    loaded.dispose();
  }, 90_000);

  it('is reproducible from the seed (mlp preset)', async () => {
    const small = loadDigitSet('mnist:train', 1000);
    const weights = async (seed: number): Promise<number[]> => {
      const r = await silentTraining('mlp', small, test, { lr: 3e-3, batch: 32, seed });
      const w = r.model.getWeights().flatMap((t) => Array.from(t.dataSync()));
      r.model.dispose();
      return w;
    };
    const a = await weights(7);
    expect(await weights(7)).toEqual(a);
    expect(await weights(8)).not.toEqual(a);
  }, 30_000);

  it('data-parallel workers: bit-for-bit reproducible for a seed and worker count; 1 worker = this thread', async () => {
    const small = loadDigitSet('mnist:train', 1200);
    const few = loadDigitSet('mnist:test', 200);
    const o = { lr: 3e-3, batch: 50, seed: 5, augment: true };
    const two = await silentTraining('cnn', small, few, { ...o, workers: 2 });
    expect(two.workers).toBe(2);
    expect(two.history[0].trainAccuracy).toBeGreaterThan(0.3);
    expect(two.test.n).toBe(200);
    expect(evaluateFloat(two.model, few)).toEqual(two.test); // the workers' sharded evaluation = the final model's
    const a = flatWeights(two);
    expect(flatWeights(await silentTraining('cnn', small, few, { ...o, workers: 2 }))).toEqual(a);
    // One replica applies its own gradient unscaled: the same float ops as training in this thread.
    const inThread = flatWeights(await silentTraining('cnn', small, few, o));
    expect(flatWeights(await silentTraining('cnn', small, few, { ...o, workers: 1 }))).toEqual(inThread);
    // Splitting a batch changes only float summation order: close to, but not the bits of, one replica.
    expect(a).not.toEqual(inThread);
    const diff = Math.max(...a.map((v, i) => Math.abs(v - inThread[i])));
    expect(diff).toBeLessThan(0.05);
  }, 120_000);

  it('divergence: the same per-batch rule with and without workers (1 worker stops at the same batch as this thread)', async () => {
    const small = loadDigitSet('mnist:train', 2000);
    const few = loadDigitSet('mnist:test', 50);
    const o = { lr: 10, batch: 16, seed: 3 };
    const failure = (workers?: number): Promise<string> => silentTraining('cnn', small, few, { ...o, workers }).then(
      () => 'trained without diverging',
      (e: Error) => `${e.name}: ${e.message}`,
    );
    const perBatch = /^TrainingDivergedError: training diverged: the loss (is (NaN|Infinity) at batch \d+|stayed above its starting [\d.]+ for 20 batches \(now .+ at batch \d+\)); lower the learning rate \(now 10\)$/;
    const inThread = await failure();
    expect(inThread).toMatch(perBatch);
    // One replica sees the bits this thread sees, so the guard stops it at the same batch with the same message.
    expect(await failure(1)).toBe(inThread);
    expect(await failure(2)).toMatch(perBatch);
  }, 120_000);

  it('weight EMA: the moving average is what is evaluated and returned, the same bits with 1 worker as in this thread', async () => {
    const small = loadDigitSet('mnist:train', 1200);
    const few = loadDigitSet('mnist:test', 200);
    const run = (workers: number | undefined, emaDecay: number): Promise<TrainResult> => trainModel({
      preset: getPreset('cnn'), epochs: 1, batchSize: 50, learningRate: 3e-3, seed: 5, augment: null, emaDecay,
      train: small, test: few, progress: { write: () => undefined }, workers,
    });
    const raw = await run(undefined, 0);
    const ema = await run(undefined, 0.99);
    expect(evaluateFloat(ema.model, few)).toEqual(ema.test); // the reported accuracy is the averaged model's
    const rawW = flatWeights(raw);
    const emaW = flatWeights(ema);
    expect(emaW).not.toEqual(rawW);
    expect(Math.max(...emaW.map((v, i) => Math.abs(v - rawW[i])))).toBeLessThan(0.2); // an average of nearby points
    const two = await run(2, 0.99);
    expect(evaluateFloat(two.model, few)).toEqual(two.test); // the workers evaluate the average too
    two.model.dispose();
    expect(flatWeights(await run(1, 0.99))).toEqual(emaW);
  }, 120_000);

  it('bias-corrected EMA: evaluated and returned, the same bits in this thread and in 1 worker, not the ramp\'s', async () => {
    const small = loadDigitSet('mnist:train', 1200);
    const few = loadDigitSet('mnist:test', 200);
    const run = (workers: number | undefined, emaWarmup: 'ramp' | 'bias-corrected'): Promise<TrainResult> => trainModel({
      preset: getPreset('cnn'), epochs: 1, batchSize: 50, learningRate: 3e-3, seed: 5, augment: null, emaDecay: 0.99, emaWarmup,
      train: small, test: few, progress: { write: () => undefined }, workers,
    });
    const corrected = await run(undefined, 'bias-corrected');
    expect(evaluateFloat(corrected.model, few)).toEqual(corrected.test);
    const correctedW = flatWeights(corrected);
    expect(correctedW).not.toEqual(flatWeights(await run(undefined, 'ramp')));
    const two = await run(2, 'bias-corrected');
    expect(evaluateFloat(two.model, few)).toEqual(two.test); // the workers evaluate the corrected average too
    two.model.dispose();
    expect(flatWeights(await run(1, 'bias-corrected'))).toEqual(correctedW);
  }, 120_000);

  it('clean final epochs: the last cleanEpochs epochs train on un-augmented images, in this thread and in workers', async () => {
    const small = loadDigitSet('mnist:train', 600);
    const few = loadDigitSet('mnist:test', 100);
    const run = (augment: boolean, cleanEpochs: number, workers?: number): Promise<TrainResult> => trainModel({
      preset: getPreset('mlp'), epochs: 2, batchSize: 32, learningRate: 3e-3, seed: 4, augment: augment ? DEFAULT_AUGMENT : null,
      cleanEpochs, train: small, test: few, progress: { write: () => undefined }, workers,
    });
    const augmented = await run(true, 0);
    const lastClean = await run(true, 1);
    // Epoch 1 is augmented in both runs (the same bits); epoch 2 differs only in lastClean's missing augmentation.
    expect(lastClean.history[0].loss).toBe(augmented.history[0].loss);
    expect(lastClean.history[1].loss).not.toBe(augmented.history[1].loss);
    const lastCleanW = flatWeights(lastClean);
    expect(lastCleanW).not.toEqual(flatWeights(augmented));
    // All epochs clean = no augmentation at all, bit for bit; and the workers get the setting too.
    expect(flatWeights(await run(true, 2))).toEqual(flatWeights(await run(false, 0)));
    expect(flatWeights(await run(true, 2, 2))).toEqual(flatWeights(await run(false, 0, 2)));
    expect(flatWeights(await run(true, 1, 1))).toEqual(lastCleanW);
    await expect(run(true, 3)).rejects.toThrow('cleanEpochs must be an integer from 0 to epochs (2), got 3');
  }, 120_000);

  it('augmentStrength: 1 = the plain augmentation and 0 = none, bit for bit; the same bits in this thread and in workers', async () => {
    const small = loadDigitSet('mnist:train', 600);
    const few = loadDigitSet('mnist:test', 100);
    const run = (augment: boolean, augmentStrength: number | undefined, workers?: number): Promise<TrainResult> => trainModel({
      preset: getPreset('mlp'), epochs: 1, batchSize: 32, learningRate: 3e-3, seed: 6, augment: augment ? DEFAULT_AUGMENT : null,
      augmentStrength, train: small, test: few, progress: { write: () => undefined }, workers,
    });
    const plain = flatWeights(await run(true, undefined));
    expect(flatWeights(await run(true, 1))).toEqual(plain);
    const weak = flatWeights(await run(true, 0.6));
    expect(weak).not.toEqual(plain);
    expect(flatWeights(await run(true, 0.6, 1))).toEqual(weak); // a worker gets the scaled magnitudes too
    const weakTwo = flatWeights(await run(true, 0.6, 2));
    expect(flatWeights(await run(true, 0.6, 2))).toEqual(weakTwo);
    expect(weakTwo).not.toEqual(flatWeights(await run(true, 1, 2)));
    expect(flatWeights(await run(true, 0))).toEqual(flatWeights(await run(false, undefined)));
    expect(flatWeights(await run(true, 0, 2))).toEqual(flatWeights(await run(false, undefined, 2)));
    await expect(run(true, -1)).rejects.toThrow('augmentation strength must be a number from 0 to 5, got -1');
  }, 120_000);

  it('a short last batch smaller than the worker count still trains (a replica with no share adds zeros)', async () => {
    const seven = loadDigitSet('mnist:train', 7);
    const r = await silentTraining('mlp', seven, loadDigitSet('mnist:test', 10), { lr: 1e-3, batch: 6, seed: 1, workers: 3 });
    expect(Number.isFinite(r.history[0].loss)).toBe(true);
    expect(r.history[0].trainAccuracy * 7).toBeCloseTo(Math.round(r.history[0].trainAccuracy * 7), 9); // 7 samples seen
    r.model.dispose();
  }, 60_000);

  it('rejects images that are not 28×28, naming the set', async () => {
    const odd: DigitSet = { count: 2, rows: 32, cols: 32, images: new Uint8Array(2 * 32 * 32), labels: new Uint8Array(2), source: 'emnist-32' };
    await expect(silentTraining('mlp', odd, test, { lr: 1e-3, batch: 2, seed: 1 }))
      .rejects.toThrow('training set emnist-32: images are 32×32, the models take 28×28');
  });

  it('loadModel on a missing folder names it', async () => {
    await expect(loadModel(path.join(tmp, 'nothing-here'))).rejects.toThrow(`${path.join(tmp, 'nothing-here')}: no such model folder or file`);
  });
});

describe('EpochProgress', () => {
  it('without a TTY prints at most one line per tenth of the epoch plus the summary', () => {
    const lines: string[] = [];
    let now = 0;
    const bar = new EpochProgress('epoch 1/1', { write: (s) => lines.push(s), isTTY: false }, () => now);
    for (let done = 100; done <= 10_000; done += 100) {
      now += 10;
      bar.update({ done, total: 10_000, loss: 0.5, accuracy: 0.9, startedAt: 0 });
    }
    bar.finish('done');
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe('epoch 1/1 100/10000 loss 0.5000 acc 90.00% 10000 img/s ETA 1s\n');
    expect(lines[9]).toMatch(/^epoch 1\/1 9000\/10000 /);
    expect(lines[10]).toBe('epoch 1/1 done\n');
    expect(lines.every((l) => !l.includes('\r'))).toBe(true);
  });

  it('on a TTY redraws one line in place', () => {
    const out: string[] = [];
    const bar = new EpochProgress('e', { write: (s) => out.push(s), isTTY: true }, () => 1000);
    bar.update({ done: 10, total: 10, loss: 1, accuracy: 0.5, startedAt: 0 });
    bar.finish('ok');
    expect(out[0].startsWith('\re [')).toBe(true);
    expect(out[out.length - 1]).toBe('\re ok\x1b[K\n');
  });
});

describe('GradientStepper weight EMA', () => {
  const flat = (ws: Float32Array[]): Float32Array => Float32Array.from(ws.flatMap((w) => Array.from(w)));
  /**
   * Applies the same 30 seeded random gradients to a stepper without an average and to `avg`, checks after each
   * step that the average never feeds back into training, and hands the trained weights to `onStep`.
   */
  function stepTogether(plain: GradientStepper, avg: GradientStepper, onStep: (t: number, w: Float32Array) => void): void {
    const rng = createRng(4);
    const g = new Float32Array(plain.size);
    for (let t = 1; t <= 30; t++) {
      for (let i = 0; i < g.length; i++) g[i] = rng() - 0.5;
      plain.apply(g, 1e-2);
      avg.apply(g, 1e-2);
      const w = flat(avg.weightValues());
      expect(w).toEqual(flat(plain.weightValues())); // the average never feeds back into training
      onStep(t, w);
    }
  }

  it('follows ema ← d·ema + (1−d)·w with d = min(decay, (1+t)/(10+t)) after every step; training weights untouched', async () => {
    await tf.setBackend('cpu');
    const layers = getPreset('mlp').layers;
    const plain = new GradientStepper(layers, 9, 0, 0);
    const avg = new GradientStepper(layers, 9, 0, 0.9);
    const expected = flat(avg.weightValues()); // float32, as the stepper keeps it
    stepTogether(plain, avg, (t, w) => {
      const d = Math.min(0.9, (1 + t) / (10 + t));
      for (let i = 0; i < w.length; i++) expected[i] = d * expected[i] + (1 - d) * w[i];
    });
    expect(flat(avg.evaluationWeightValues())).toEqual(expected);
    expect(flat(avg.weightValues())).toEqual(flat(plain.weightValues())); // evaluation put the trained weights back
    expect(flat(plain.evaluationWeightValues())).toEqual(flat(plain.weightValues())); // no EMA: the trained weights
    expect(flat(avg.finish().getWeights().map((t) => t.dataSync() as Float32Array))).toEqual(expected);
    plain.model.dispose();
    avg.model.dispose();
  });

  it('bias-corrected: ema ← d·ema + (1−d)·w from 0 with the set d at every step, evaluated as ema / (1 − dᵗ)', async () => {
    await tf.setBackend('cpu');
    const layers = getPreset('mlp').layers;
    const plain = new GradientStepper(layers, 9, 0, 0);
    const avg = new GradientStepper(layers, 9, 0, 0.9, 'bias-corrected');
    // Before any step there is nothing to average: the weights as they are.
    expect(flat(avg.evaluationWeightValues())).toEqual(flat(avg.weightValues()));
    const sum = new Float32Array(plain.size); // float32, as the stepper keeps it
    let power = 1;
    stepTogether(plain, avg, (t, w) => {
      for (let i = 0; i < w.length; i++) sum[i] = 0.9 * sum[i] + (1 - 0.9) * w[i];
      power *= 0.9;
      if (t === 1) {
        // One step: the average of one point is that point (to float32 rounding), not 10 % of it.
        const e = flat(avg.evaluationWeightValues());
        for (let i = 0; i < w.length; i++) expect(e[i]).toBeCloseTo(w[i], 6);
      }
    });
    const expected = sum.map((v) => v / (1 - power));
    expect(flat(avg.evaluationWeightValues())).toEqual(expected);
    expect(flat(avg.weightValues())).toEqual(flat(plain.weightValues())); // evaluation put the trained weights back
    expect(flat(avg.finish().getWeights().map((t) => t.dataSync() as Float32Array))).toEqual(expected);
    plain.model.dispose();
    avg.model.dispose();
  });

  it('the ramp reaches decay d only after (10d − 1)/(1 − d) steps: on a 14-epoch run 0.999 and 0.9995 are the same', () => {
    const steps14 = 14 * Math.ceil(60_000 / 128); // the default run: 6,566 updates
    expect(rampedEmaDecay(0.999, steps14)).toBeLessThan(0.9987);
    expect(rampedEmaDecay(0.9995, steps14)).toBe(rampedEmaDecay(0.999, steps14));
    expect(rampedEmaDecay(0.999, 8_980)).toBeLessThan(0.999);
    expect(rampedEmaDecay(0.999, 9_000)).toBe(0.999);
  });
});
