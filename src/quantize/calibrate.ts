import * as tf from '@tensorflow/tfjs';
import type { FloatOp } from './float-graph.js';

/** Observed real ranges of each op's output over the calibration images. */
export interface RangeStats {
  readonly min: number;
  readonly max: number;
  /** A strided sample of the values, sorted, for percentile ranges. */
  readonly sample: Float32Array;
}

const SAMPLE_PER_LAYER = 400_000;

/**
 * Runs the float model on the calibration images and records each op's output range: post-activation, except for
 * a dense layer split from its sigmoid (`preActivation`), whose range is x·W + b computed from the layer's input.
 * Logistic ops have a fixed output quantization and are not tracked.
 */
export function collectRanges(model: tf.LayersModel, ops: readonly FloatOp[], images: Uint8Array, count: number, batch = 250): Map<string, RangeStats> {
  const tracked = ops.filter((o) => o.op !== 'flatten' && o.op !== 'logistic');
  const preActivation = tracked.map((o) => o.op === 'dense' && o.preActivation === true);
  const probe = tf.model({
    inputs: model.inputs,
    outputs: tracked.map((o, k) => {
      const layer = model.layers[o.layerIndex];
      return (preActivation[k] ? layer.input : layer.output) as tf.SymbolicTensor;
    }),
  });
  const denseOf = (k: number): { kernel: tf.Tensor; bias: tf.Tensor | null } => {
    const w = model.layers[tracked[k].layerIndex].getWeights();
    return { kernel: w[0], bias: w[1] ?? null };
  };
  const mins = tracked.map(() => Infinity);
  const maxs = tracked.map(() => -Infinity);
  const samples: number[][] = tracked.map(() => []);
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const outs = tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(start * 784, (start + n) * 784), [n, 28, 28, 1], 'float32').div(255);
      const r = probe.predict(x);
      return (Array.isArray(r) ? r : [r]).map((t, k) => {
        if (!preActivation[k]) return t;
        const { kernel, bias } = denseOf(k);
        const z = tf.matMul(t.reshape([n, -1]), kernel);
        return bias ? z.add(bias) : z;
      });
    });
    outs.forEach((t, k) => {
      const v = t.dataSync();
      const stride = Math.max(1, Math.floor((v.length * count) / n / SAMPLE_PER_LAYER));
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (x < mins[k]) mins[k] = x;
        if (x > maxs[k]) maxs[k] = x;
      }
      for (let i = (start * 7919) % stride; i < v.length; i += stride) samples[k].push(v[i]);
    });
    tf.dispose(outs);
  }
  const stats = new Map<string, RangeStats>();
  tracked.forEach((o, k) => stats.set(o.name, { min: mins[k], max: maxs[k], sample: Float32Array.from(samples[k]).sort() }));
  return stats;
}

/** [lo, hi] covering the central `percentile` % of the sampled values (clipped to the observed range). */
export function percentileRange(s: RangeStats, percentile: number): [number, number] {
  const n = s.sample.length;
  if (n === 0) return [s.min, s.max];
  const tail = (100 - percentile) / 100;
  // ReLU outputs have a hard floor at 0: only the upper tail is clipped.
  const lo = s.min >= 0 ? s.min : s.sample[Math.floor(tail / 2 * (n - 1))];
  const hi = s.sample[Math.ceil((1 - (s.min >= 0 ? tail : tail / 2)) * (n - 1))];
  return [Math.max(s.min, lo), Math.min(s.max, hi)];
}
