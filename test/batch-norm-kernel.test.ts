import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../src/data/index.js';
import { batchNormTraining, batchNormTrainingJs, batchNormTrainingOps } from '../src/train/batch-norm-layer.js';
import { BATCH_NORM_EPSILON } from '../src/train/model.js';
import { selectBackend } from '../src/train/index.js';

type Shape = [number, number, number, number];
type BatchNormFn = (x: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D, epsilon: number) => tf.Tensor4D;

function values(n: number, seed: number, scale: number, offset: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => offset + scale * (rng() * 2 - 1));
}

interface Inputs { x: Float32Array; gamma: Float32Array; beta: Float32Array; dy: Float32Array; shape: Shape }

function inputs(shape: Shape, seed: number): Inputs {
  const size = shape.reduce((a, b) => a * b, 1);
  const c = shape[3];
  // Conv outputs are off-centre with a spread that differs by channel: an offset and a scale the statistics must undo.
  return { x: values(size, seed, 3, 0.7), gamma: values(c, seed + 1, 0.5, 1), beta: values(c, seed + 2, 0.3, 0), dy: values(size, seed + 3, 1e-3, 0), shape };
}

/** y, ∂x, ∂γ, ∂β of L = Σ f(x, γ, β)·dy, as arrays. */
function run(f: BatchNormFn, i: Inputs): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(i.x, i.shape);
    const g = tf.tensor1d(i.gamma);
    const b = tf.tensor1d(i.beta);
    const dy = tf.tensor4d(i.dy, i.shape);
    const y = f(x, g, b, BATCH_NORM_EPSILON);
    const grads = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor4D, c as tf.Tensor1D, d as tf.Tensor1D, BATCH_NORM_EPSILON), dy)))([x, g, b]);
    return [y, ...grads].map((t) => Float32Array.from(t.dataSync() as Float32Array));
  });
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function maxRelativeError(a: Float32Array, b: Float32Array): number {
  let peak = 0;
  for (let i = 0; i < b.length; i++) peak = Math.max(peak, Math.abs(b[i]));
  let worst = 0;
  // An all-zero reference (∂x with one position per channel) must be matched exactly.
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, peak === 0 ? Math.abs(a[i]) : Math.abs(a[i] - b[i]) / peak);
  return worst;
}

const shapes: Record<string, Shape> = {
  'cnn conv1, a 64-image shard (64×26×26×16)': [64, 26, 26, 16],
  'cnn conv2 (64×11×11×32)': [64, 11, 11, 32],
  'cnn conv3 (64×3×3×64)': [64, 3, 3, 64],
  'odd, channels a multiple of 4 (the 4-channel passes; 2×7×3×12)': [2, 7, 3, 12],
  'odd, channels not a multiple of 4 (the general passes; 3×5×4×6)': [3, 5, 4, 6],
  'one position per channel (1×1×1×5)': [1, 1, 1, 5],
};

describe('the JS batch-normalization kernels (src/train/wasm-kernels/batch-norm-training.ts)', () => {
  beforeAll(async () => {
    expect((await selectBackend('wasm')).name).toBe('wasm');
  });

  for (const [name, shape] of Object.entries(shapes)) {
    it(`${name}: y, ∂x, ∂γ, ∂β bit for bit the tfjs wasm op sequence, and within 1e-5 of the cpu backend`, async () => {
      const data = inputs(shape, shape.reduce((a, b) => a + b, 0));
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      const ours = run(batchNormTrainingJs, data);
      expect(tf.memory().numTensors, 'tensors leaked').toBe(before);
      const ops = run(batchNormTrainingOps, data);
      ['y', '∂x', '∂γ', '∂β'].forEach((what, k) => expect(sameBits(ours[k], ops[k]), what).toBe(true));
      await tf.setBackend('cpu');
      const cpu = run(batchNormTrainingOps, data);
      await tf.setBackend('wasm');
      ['y', '∂x', '∂γ', '∂β'].forEach((what, k) => expect(maxRelativeError(ours[k], cpu[k]), what).toBeLessThan(1e-5));
    });
  }

  it('batchNormTraining uses them on wasm only: on cpu batchNormTrainingJs refuses and batchNormTraining is the op sequence', async () => {
    const data = inputs([2, 3, 3, 4], 9);
    await tf.setBackend('cpu');
    try {
      expect(() => run(batchNormTrainingJs, data)).toThrow(/wasm backend only/);
      const ours = run(batchNormTraining, data);
      const ops = run(batchNormTrainingOps, data);
      ours.forEach((a, k) => expect(sameBits(a, ops[k])).toBe(true));
    } finally {
      await tf.setBackend('wasm');
    }
  });
});
