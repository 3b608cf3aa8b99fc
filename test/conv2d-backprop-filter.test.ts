import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../src/data/index.js';
import { conv2dBackpropFilterViaConv, selectBackend } from '../src/train/index.js';

type Pad = 'valid' | 'same' | number;

interface ConvCase {
  readonly batch: number;
  readonly inH: number;
  readonly inW: number;
  readonly inC: number;
  readonly outC: number;
  readonly kH: number;
  readonly kW: number;
  readonly strides: [number, number];
  readonly pad: Pad;
}

interface CaseData {
  readonly xShape: [number, number, number, number];
  readonly dyShape: [number, number, number, number];
  readonly filterShape: [number, number, number, number];
  readonly x: Float32Array;
  readonly dy: Float32Array;
  readonly w: Float32Array;
}

const describeCase = (c: ConvCase): string =>
  `x ${c.batch}×${c.inH}×${c.inW}×${c.inC}, filter ${c.kH}×${c.kW}×${c.inC}×${c.outC}, stride ${c.strides.join('×')}, pad ${c.pad}`;

function randomValues(n: number, rng: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => rng() * 2 - 1);
}

function caseData(c: ConvCase, seed: number): CaseData {
  const xShape: [number, number, number, number] = [c.batch, c.inH, c.inW, c.inC];
  const filterShape: [number, number, number, number] = [c.kH, c.kW, c.inC, c.outC];
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, c.strides, 1, c.pad);
  const dyShape: [number, number, number, number] = [c.batch, info.outHeight, info.outWidth, c.outC];
  const rng = createRng(seed);
  const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
  return { xShape, dyShape, filterShape, x: randomValues(size(xShape), rng), dy: randomValues(size(dyShape), rng), w: randomValues(size(filterShape), rng) };
}

/** dL/dw for L = Σ conv2d(x, w) · dy, through tfjs autodiff on the current backend. */
function gradientViaAutodiff(c: ConvCase, d: CaseData): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(d.x, d.xShape);
    const dy = tf.tensor4d(d.dy, d.dyShape);
    const loss = (w: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.conv2d(x, w as tf.Tensor4D, c.strides, c.pad), dy));
    return tf.grad(loss)(tf.tensor4d(d.w, d.filterShape)).dataSync() as Float32Array;
  });
}

/** The backend's registered Conv2DBackpropFilter kernel, called by name. */
function gradientViaKernel(c: ConvCase, d: CaseData): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(d.x, d.xShape);
    const dy = tf.tensor4d(d.dy, d.dyShape);
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: d.filterShape };
    const out = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

function gradientViaComposedConv(c: ConvCase, d: CaseData): Float32Array {
  return tf.tidy(() => {
    const g = conv2dBackpropFilterViaConv(tf.tensor4d(d.x, d.xShape), tf.tensor4d(d.dy, d.dyShape), d.filterShape, c.strides, c.pad);
    expect(g.shape).toEqual(d.filterShape);
    return g.dataSync() as Float32Array;
  });
}

/** Largest |a − b| scaled by max(1, |reference|): sums of thousands of float32 products need a relative bound. */
function maxError(actual: Float32Array, reference: Float32Array): number {
  expect(actual.length).toBe(reference.length);
  let worst = 0;
  for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(actual[i] - reference[i]) / Math.max(1, Math.abs(reference[i])));
  return worst;
}

const TOLERANCE = 1e-4;
let measuredWorst = 0;

/** Compares every way of computing the filter gradient on wasm (and the composed form on cpu) with the cpu kernel. */
async function checkCase(c: ConvCase, seed: number): Promise<void> {
  const d = caseData(c, seed);
  await tf.setBackend('cpu');
  const reference = gradientViaAutodiff(c, d);
  const composedOnCpu = gradientViaComposedConv(c, d);
  await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const results = {
    'wasm autodiff': gradientViaAutodiff(c, d),
    'wasm kernel': gradientViaKernel(c, d),
    'wasm composed': gradientViaComposedConv(c, d),
    'cpu composed': composedOnCpu,
  };
  expect(tf.memory().numTensors, 'tensors leaked by the wasm kernel').toBe(before);
  for (const [how, g] of Object.entries(results)) {
    const err = maxError(g, reference);
    measuredWorst = Math.max(measuredWorst, err);
    expect(err, `${how}: ${describeCase(c)}`).toBeLessThan(TOLERANCE);
  }
}

const conv = (batch: number, inH: number, inW: number, inC: number, outC: number, kH: number, kW: number, stride: number | [number, number], pad: Pad): ConvCase => ({
  batch, inH, inW, inC, outC, kH, kW, strides: typeof stride === 'number' ? [stride, stride] : stride, pad,
});

const NAMED_CASES: Record<string, ConvCase> = {
  'valid, stride 1, 3×3': conv(2, 9, 9, 3, 4, 3, 3, 1, 'valid'),
  'valid, stride 2, leftover rows the gradient never touches': conv(2, 8, 9, 2, 3, 3, 3, 2, 'valid'),
  'same, stride 1, 3×3, odd input': conv(2, 7, 7, 2, 5, 3, 3, 1, 'same'),
  'same, stride 2, 3×3, odd input': conv(3, 9, 11, 3, 2, 3, 3, 2, 'same'),
  'same, stride 2, 3×3, even input': conv(1, 10, 8, 4, 4, 3, 3, 2, 'same'),
  'same, even 2×2 kernel, odd input (padding only after)': conv(2, 7, 5, 3, 3, 2, 2, 1, 'same'),
  'same, even 4×4 kernel, stride 2, odd input': conv(2, 9, 9, 2, 6, 4, 4, 2, 'same'),
  'valid, even 2×2 kernel, stride 2': conv(2, 6, 7, 1, 8, 2, 2, 2, 'valid'),
  'non-square 2×3 kernel, strides 1×2, same': conv(2, 7, 9, 2, 3, 2, 3, [1, 2], 'same'),
  'non-square 5×1 kernel, strides 2×1, valid': conv(1, 11, 4, 3, 2, 5, 1, [2, 1], 'valid'),
  '1×1 kernel, 8 → 8 channels': conv(2, 5, 5, 8, 8, 1, 1, 1, 'valid'),
  'kernel as large as the input': conv(3, 5, 5, 2, 2, 5, 5, 1, 'valid'),
  'stride 3, same': conv(2, 10, 10, 2, 2, 3, 3, 3, 'same'),
  'explicit numeric padding 1, stride 2': conv(2, 8, 8, 2, 3, 3, 3, 2, 1),
  'single input channel, many outputs (a first layer)': conv(4, 12, 12, 1, 16, 5, 5, 1, 'same'),
  'cnn preset layer 1: 28×28×1 → 16, 3×3': conv(4, 28, 28, 1, 16, 3, 3, 1, 'valid'),
  'cnn preset layer 2: 13×13×16 → 32, 3×3': conv(4, 13, 13, 16, 32, 3, 3, 1, 'valid'),
  'cnn preset layer 3: 5×5×32 → 64, 3×3': conv(4, 5, 5, 32, 64, 3, 3, 1, 'valid'),
};

describe('wasm Conv2DBackpropFilter (the registered im2col kernel, and the dilated-conv composition) against the cpu backend', () => {
  beforeAll(async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    // The premise of the whole module: stock tfjs-backend-wasm can run conv2d but cannot train it.
    expect(tf.getKernel('Conv2D', 'wasm')).toBeDefined();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    const selected = await selectBackend('wasm');
    expect(selected.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  for (const [name, c] of Object.entries(NAMED_CASES)) {
    it(`${name} (${describeCase(c)})`, async () => {
      await checkCase(c, name.length);
    });
  }

  it('random shapes (fast-check, fixed seed)', async () => {
    const shapes = fc.record({
      batch: fc.integer({ min: 1, max: 3 }),
      extraH: fc.integer({ min: 0, max: 9 }),
      extraW: fc.integer({ min: 0, max: 9 }),
      inC: fc.integer({ min: 1, max: 6 }),
      outC: fc.integer({ min: 1, max: 6 }),
      kH: fc.integer({ min: 1, max: 5 }),
      kW: fc.integer({ min: 1, max: 5 }),
      sH: fc.integer({ min: 1, max: 3 }),
      sW: fc.integer({ min: 1, max: 3 }),
      pad: fc.constantFrom<Pad>('valid', 'same', 0, 1, 2),
      seed: fc.integer({ min: 0, max: 2 ** 31 }),
    });
    await fc.assert(
      fc.asyncProperty(shapes, async (s) => {
        // tfjs computes the output size for numeric padding from the filter height and row stride alone
        // (tfjs-core conv_util getPadAndOutInfo), so wasm's forward conv2d writes out of bounds when they differ
        // from the width ones. Layers only use 'valid'/'same'; numeric padding is tested with square shapes.
        const square = typeof s.pad === 'number';
        const kW = square ? s.kH : s.kW;
        const sW = square ? s.sH : s.sW;
        // Inputs at least as large as the kernel so every padding mode yields a non-empty output.
        const c = conv(s.batch, s.kH + s.extraH, kW + s.extraW, s.inC, s.outC, s.kH, kW, [s.sH, sW], s.pad);
        await checkCase(c, s.seed);
      }),
      { seed: 0x2d1f, numRuns: 60 },
    );
  }, 30_000);

  it('rejects NCHW with a message naming the layout', () => {
    const x = tf.zeros([1, 1, 4, 4]);
    const dy = tf.zeros([1, 1, 2, 2]);
    const attrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NCHW', filterShape: [3, 3, 1, 1] };
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap))
      .toThrow('Conv2DBackpropFilter (wasm): only NHWC is supported, got NCHW');
    tf.dispose([x, dy]);
  });

  afterAll(() => {
    console.log(`Conv2DBackpropFilter wasm vs cpu: worst relative error ${measuredWorst.toExponential(2)} (tolerance ${TOLERANCE})`);
  });
});
