import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../src/data/index.js';
import { conv2dBackpropInputViaConv, selectBackend } from '../src/train/index.js';

type Pad = 'valid' | 'same' | number;

function values(n: number, rng: () => number, levels = 0): Float32Array {
  // levels > 0 quantizes to few values so max-pool windows contain ties (as after ReLU, or on clipped inputs).
  return Float32Array.from({ length: n }, () => (levels > 0 ? Math.floor(rng() * levels) / levels : rng() * 2 - 1));
}

function maxError(actual: Float32Array, reference: Float32Array): number {
  expect(actual.length).toBe(reference.length);
  let worst = 0;
  for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(actual[i] - reference[i]) / Math.max(1, Math.abs(reference[i])));
  return worst;
}

/** Runs f on cpu (the reference) and on wasm with the registered kernels; both results as arrays. */
async function onBoth(f: () => tf.Tensor): Promise<{ cpu: Float32Array; wasm: Float32Array }> {
  await tf.setBackend('cpu');
  const cpu = tf.tidy(() => f().dataSync() as Float32Array);
  await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const wasm = tf.tidy(() => f().dataSync() as Float32Array);
  expect(tf.memory().numTensors, 'tensors leaked on wasm').toBe(before);
  return { cpu, wasm };
}

describe('wasm training kernels against the cpu backend', () => {
  beforeAll(async () => {
    expect((await selectBackend('wasm')).name).toBe('wasm');
  });

  interface ConvCase { batch: number; inH: number; inW: number; inC: number; outC: number; kH: number; kW: number; stride: number; pad: Pad }

  /** dL/dx of L = Σ conv2d(x, w) · dy by autodiff: Conv2DBackpropInput on each backend. */
  async function checkInputGradient(c: ConvCase, seed: number): Promise<number> {
    const rng = createRng(seed);
    const xShape: [number, number, number, number] = [c.batch, c.inH, c.inW, c.inC];
    const wShape: [number, number, number, number] = [c.kH, c.kW, c.inC, c.outC];
    const info = tf.backend_util.computeConv2DInfo(xShape, wShape, c.stride, 1, c.pad);
    const dyShape: [number, number, number, number] = [c.batch, info.outHeight, info.outWidth, c.outC];
    const x = values(xShape.reduce((a, b) => a * b), rng);
    const w = values(wShape.reduce((a, b) => a * b), rng);
    const dy = values(dyShape.reduce((a, b) => a * b), rng);
    const r = await onBoth(() => {
      const f = (xt: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.conv2d(xt as tf.Tensor4D, tf.tensor4d(w, wShape), c.stride, c.pad), tf.tensor4d(dy, dyShape)));
      return tf.grad(f)(tf.tensor4d(x, xShape));
    });
    return maxError(r.wasm, r.cpu);
  }

  const inputCases: Record<string, ConvCase> = {
    'cnn layer 2 (13×13×16 → 32, valid)': { batch: 4, inH: 13, inW: 13, inC: 16, outC: 32, kH: 3, kW: 3, stride: 1, pad: 'valid' },
    'cnn layer 3 (5×5×32 → 64, valid)': { batch: 4, inH: 5, inW: 5, inC: 32, outC: 64, kH: 3, kW: 3, stride: 1, pad: 'valid' },
    'same, 3×3': { batch: 2, inH: 7, inW: 6, inC: 3, outC: 4, kH: 3, kW: 3, stride: 1, pad: 'same' },
    'same, even 2×2 kernel (padding after only)': { batch: 2, inH: 7, inW: 5, inC: 2, outC: 3, kH: 2, kW: 2, stride: 1, pad: 'same' },
    'non-square 2×3 kernel, valid': { batch: 2, inH: 6, inW: 8, inC: 2, outC: 3, kH: 2, kW: 3, stride: 1, pad: 'valid' },
    'numeric padding 1': { batch: 2, inH: 6, inW: 6, inC: 2, outC: 2, kH: 3, kW: 3, stride: 1, pad: 1 },
    'stride 2 (the stock kernel)': { batch: 2, inH: 9, inW: 9, inC: 2, outC: 3, kH: 3, kW: 3, stride: 2, pad: 'same' },
  };
  for (const [name, c] of Object.entries(inputCases)) {
    it(`Conv2DBackpropInput: ${name}`, async () => {
      expect(await checkInputGradient(c, name.length)).toBeLessThan(1e-4);
    });
  }

  it('Conv2DBackpropInput: random stride-1 shapes (fast-check, fixed seed)', async () => {
    const shapes = fc.record({
      batch: fc.integer({ min: 1, max: 3 }), extraH: fc.integer({ min: 0, max: 6 }), extraW: fc.integer({ min: 0, max: 6 }),
      inC: fc.integer({ min: 1, max: 5 }), outC: fc.integer({ min: 1, max: 5 }), kH: fc.integer({ min: 1, max: 4 }), kW: fc.integer({ min: 1, max: 4 }),
      pad: fc.constantFrom<Pad>('valid', 'same'), seed: fc.integer({ min: 0, max: 2 ** 31 }),
    });
    await fc.assert(fc.asyncProperty(shapes, async (s) => {
      const c: ConvCase = { batch: s.batch, inH: s.kH + s.extraH, inW: s.kW + s.extraW, inC: s.inC, outC: s.outC, kH: s.kH, kW: s.kW, stride: 1, pad: s.pad };
      expect(await checkInputGradient(c, s.seed)).toBeLessThan(1e-4);
    }), { seed: 0x16, numRuns: 40 });
  }, 30_000);

  it('the stride-1 fast path declines other strides (the stock kernel takes them)', () => {
    const dy = tf.zeros([1, 4, 4, 2]) as tf.Tensor4D;
    const w = tf.zeros([3, 3, 1, 2]) as tf.Tensor4D;
    expect(conv2dBackpropInputViaConv(dy, w, { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [1, 8, 8, 1] })).toBeNull();
    tf.dispose([dy, w]);
  });

  /**
   * dL/dx of L = Σ maxPool(x) · dy: MaxPoolGrad on each backend. Exact where windows do not overlap (it only routes
   * values); overlapping windows add up in a different order than cpu's, so there the last bit may differ.
   */
  async function checkPoolGradient(shape: [number, number, number, number], size: number, stride: number, pad: Pad, seed: number, levels: number): Promise<void> {
    const rng = createRng(seed);
    const x = values(shape.reduce((a, b) => a * b), rng, levels);
    const outShape = tf.backend_util.computePool2DInfo(shape, size, stride, 1, pad).outShape;
    const dy = values(outShape.reduce((a, b) => a * b), rng);
    const r = await onBoth(() => tf.grad((xt: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(xt as tf.Tensor4D, size, stride, pad), tf.tensor(dy, outShape))))(tf.tensor4d(x, shape)));
    if (stride >= size) expect(Array.from(r.wasm)).toEqual(Array.from(r.cpu));
    else expect(maxError(r.wasm, r.cpu)).toBeLessThan(1e-6);
  }

  it('MaxPoolGrad: the cnn preset pools (2×2 stride 2 on 26×26×16 and 11×11×32, odd edge dropped)', async () => {
    await checkPoolGradient([3, 26, 26, 16], 2, 2, 'valid', 1, 0);
    await checkPoolGradient([3, 11, 11, 32], 2, 2, 'valid', 2, 0);
  });

  it('MaxPoolGrad: ties go to the first maximum in window order, as on cpu', async () => {
    await checkPoolGradient([2, 8, 8, 3], 2, 2, 'valid', 3, 3);
    await checkPoolGradient([2, 7, 9, 2], 3, 2, 'same', 4, 2); // overlapping windows add up
  });

  it('MaxPoolGrad: random pools (fast-check, fixed seed)', async () => {
    const pools = fc.record({
      batch: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 3, max: 10 }), w: fc.integer({ min: 3, max: 10 }), c: fc.integer({ min: 1, max: 4 }),
      size: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 3 }), pad: fc.constantFrom<Pad>('valid', 'same'),
      levels: fc.constantFrom(0, 2, 4), seed: fc.integer({ min: 0, max: 2 ** 31 }),
    });
    await fc.assert(fc.asyncProperty(pools, async (p) => {
      await checkPoolGradient([p.batch, p.h, p.w, p.c], p.size, p.stride, p.pad, p.seed, p.levels);
    }), { seed: 0x17, numRuns: 40 });
  }, 30_000);
});
