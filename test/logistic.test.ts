import { describe, expect, it } from 'vitest';
import { createRng } from '../src/data/index.js';
import {
  calculateInputRadius, logisticElement, logisticQ4, logisticTable, prepareLogistic, validateArtifact,
  type Int8Model, type LogisticParams,
} from '../src/quantize/index.js';
import { referenceLogistic, referencePrepare } from './fixtures/logistic-reference.js';
import { randomArtifact } from './fixtures/random-artifact.js';

/*
 * The int8 logistic (src/quantize/logistic.ts): hand-worked vectors at the edges, then a property test against an
 * independent BigInt transcription of TFLM's prepare + Logistic over every int8 input of hundreds of random
 * quantizations. test/logistic-c.test.ts holds the C kernel to the same, test/logistic-tflm.test.ts both to TFLM.
 */

// Input scale 1/16: 2^-4 · 2^27 = 2^23 = 0.5 · 2^24 → multiplier 2^30, left shift 24, radius floor(15 · 2^27 / 2^24).
const SIXTEENTH: LogisticParams = { inputMultiplier: 2 ** 30, inputLeftShift: 24, inputRangeRadius: 120 };

/**
 * [zero point, q, expected], worked out as round(256 · sigmoid((q − zp) / 16)) − 128, clamped to int8 (none near a
 * tie); the same table is in test/c/logistic_main.c.
 */
const GOLDEN: readonly (readonly [number, number, number])[] = [
  [0, 0, 0], // the input zero point: sigmoid(0) = 1/2 exactly → 128 − 128
  [0, 16, 59], // sigmoid(1) · 256 = 187.15
  [0, -16, -59], // sigmoid(−1) · 256 = 68.85
  [0, 40, 109], // sigmoid(2.5) · 256 = 236.58
  [0, -40, -109], // 19.42
  [0, 119, 127], // 255.85 rounds to 256 → 128, clamped: just inside the radius, through the fixed-point path
  [0, 120, 127], // x = radius: saturated by the radius test
  [0, 127, 127], // int8 top
  [0, -120, -128], // x = −radius
  [0, -128, -128], // int8 bottom
  [0, -119, -128], // 0.15 → 0 → −128: inside the radius, fixed-point path
  [-128, -128, 0], // zero point at the int8 bottom: q = −128 is real 0
  [-128, -112, 59], // x = 16
  [-128, 127, 127], // x = 255, beyond the radius
  [127, 127, 0], // zero point at the int8 top
  [127, -128, -128], // x = −255
];

describe('logistic prepare (TFLM logistic_common.cc)', () => {
  it('works out 1/16, 1/256, 0.1 and the shift limits by hand', () => {
    expect(prepareLogistic(1 / 16)).toEqual(SIXTEENTH);
    // 2^-8 · 2^27 = 2^19 = 0.5 · 2^20 → shift 20, radius 15 · 2^7 = 1920 (no int8 input saturates by radius).
    expect(prepareLogistic(1 / 256)).toEqual({ inputMultiplier: 2 ** 30, inputLeftShift: 20, inputRangeRadius: 1920 });
    // float32(0.1) = 13421773 · 2^-27, so 0.1 · 2^27 = 13421773 = 0.79999... · 2^24: multiplier 13421773 · 2^7.
    expect(prepareLogistic(Math.fround(0.1))).toEqual({ inputMultiplier: 13421773 * 128, inputLeftShift: 24, inputRangeRadius: 120 });
    // 2^-28 is the smallest scale with shift 0 (radius 15 · 2^27); just below 8 needs shift 30 (radius 1).
    expect(prepareLogistic(2 ** -28)).toEqual({ inputMultiplier: 2 ** 30, inputLeftShift: 0, inputRangeRadius: 15 * 2 ** 27 });
    expect(prepareLogistic(Math.fround(7.999999))).toMatchObject({ inputLeftShift: 30, inputRangeRadius: 1 });
    expect(calculateInputRadius(4, 24)).toBe(120);
  });

  it('rejects scales TFLM cannot prepare safely, with the reason', () => {
    expect(() => prepareLogistic(8)).toThrow(/left shift 31, outside 0\.\.30/);
    expect(() => prepareLogistic(2 ** -29)).toThrow(/left shift -1/);
    expect(() => prepareLogistic(0)).toThrow(/positive and finite/);
    expect(() => prepareLogistic(Number.NaN)).toThrow(/positive and finite/);
  });
});

describe('logistic eval: hand-worked vectors at the edges', () => {
  it.each(GOLDEN)('zero point %i, q %i → %i', (zp, q, expected) => {
    expect(logisticElement(q, zp, SIXTEENTH)).toBe(expected);
    expect(logisticTable(zp, SIXTEENTH)[q + 128]).toBe(expected);
  });

  it('follows TFLM, not the real sigmoid, where the radius is floored (input scales >= 2, left shift 28..30)', () => {
    // Scale 4: 4 · 2^27 = 2^29 = 0.5 · 2^30 → shift 30, radius floor(15 · 2^27 / 2^30) = floor(1.875) = 1, so
    // x = ±1 (real ±4) already saturates: −128 where 256 · sigmoid(−4) − 128 = −123.3, 127 where it is 123.3.
    const p = prepareLogistic(4);
    expect(p).toEqual({ inputMultiplier: 2 ** 30, inputLeftShift: 30, inputRangeRadius: 1 });
    expect([logisticElement(-1, 0, p), logisticElement(0, 0, p), logisticElement(1, 0, p)]).toEqual([-128, 0, 127]);
  });

  it('the fixed-point core: logistic(0) = 2^30 exactly, and it is monotone and odd-symmetric around 1/2', () => {
    expect(logisticQ4(0)).toBe(2 ** 30);
    let previous = -1;
    for (let a = -15 * 2 ** 27; a <= 15 * 2 ** 27; a += 2 ** 21 + 7) {
      const y = logisticQ4(a);
      expect(y).toBeGreaterThanOrEqual(previous);
      expect(y).toBeGreaterThanOrEqual(0);
      if (a !== 0) expect(y + logisticQ4(-a)).toBe(2147483647); // gemmlowp: result_if_negative = One − result
      previous = y;
    }
  });
});

/** Float32 scales spread over every left shift 0..30, powers of two (exact ties in the shifts) included. */
function randomScales(count: number, seed: number): number[] {
  const rng = createRng(seed);
  const scales: number[] = [2 ** -28, 1 / 256, 1 / 16, 0.5, 1, 4, Math.fround(7.999999)];
  while (scales.length < count) {
    const exponent = -28 + rng() * 31; // [2^-28, 8)
    const s = scales.length % 7 === 0 ? 2 ** Math.floor(exponent) : Math.fround(2 ** exponent);
    if (s >= 2 ** -28 && s < 8) scales.push(s);
  }
  return scales;
}

describe('logistic property: every int8 input equals a BigInt transcription of TFLM', () => {
  it('over 400 random (scale, zero point) pairs, all 256 inputs each, prepare included', () => {
    const rng = createRng(0x106157c);
    const differing: string[] = [];
    let compared = 0;
    let saturatedByRadius = 0;
    let fixedPointPath = 0;
    for (const scale of randomScales(400, 7)) {
      const zp = Math.floor(rng() * 256) - 128;
      const p = prepareLogistic(scale);
      const r = referencePrepare(scale);
      expect({ scale, m: p.inputMultiplier, s: p.inputLeftShift, r: p.inputRangeRadius }).toEqual({ scale, m: r.multiplier, s: r.leftShift, r: r.radius });
      const table = logisticTable(zp, p);
      for (let q = -128; q <= 127; q++) {
        const expected = referenceLogistic(q, zp, r);
        compared++;
        if (Math.abs(q - zp) >= p.inputRangeRadius) saturatedByRadius++;
        else fixedPointPath++;
        if (table[q + 128] !== expected && differing.length < 5) differing.push(`scale ${scale} zp ${zp} q ${q}: TS ${table[q + 128]}, reference ${expected}`);
      }
    }
    expect(differing).toEqual([]);
    expect(compared).toBe(400 * 256);
    // Both branches of the kernel are exercised heavily.
    expect(saturatedByRadius).toBeGreaterThan(10_000);
    expect(fixedPointPath).toBeGreaterThan(10_000);
  });

  it('stays within half an output step of a double-precision sigmoid for input scales below 2 (gemmlowp is accurate to ~1e-8)', () => {
    let worst = 0;
    for (const scale of randomScales(400, 8).filter((s) => s < 2)) {
      const p = prepareLogistic(scale);
      for (const zp of [-128, 0, 127]) {
        for (let q = -128; q <= 127; q++) {
          const x = scale * (q - zp);
          const real = Math.min(127, 256 / (1 + Math.exp(-x)) - 128);
          const got = logisticElement(q, zp, p);
          // The radius cut saturates at |x| >= 15·f (f in [0.5, 1)), where sigmoid rounds to the int8 ends anyway.
          worst = Math.max(worst, Math.abs(got - real));
        }
      }
    }
    // Off by at most rounding plus 1e-4 of a step (4e-7 in real terms): a wrong rounding or constant would show as ≥ 1.
    expect(worst).toBeLessThan(0.5 + 1e-4);
  });
});

describe('logistic in the artifact (the simulator against a naive reference: test/simulator.test.ts)', () => {
  const withLogistic = (): Int8Model => randomArtifact(3, { logistic: true });

  it('the loader rejects a logistic whose output quantization or prepare is not TFLM\'s', () => {
    const model = withLogistic();
    const i = model.layers.findIndex((l) => l.op === 'logistic');
    const broken = (edit: (l: Record<string, unknown>) => void): unknown => {
      const copy = structuredClone(model) as unknown as { layers: Record<string, unknown>[] };
      edit(copy.layers[i]);
      return copy;
    };
    expect(() => validateArtifact(broken((l) => { l.output = { scale: 1 / 255, zeroPoint: -128 }; }), 'm.json'))
      .toThrow(new RegExp(`m\\.json: layers\\[${i}\\]\\.output: logistic output must be scale 1/256, zero point −128`));
    expect(() => validateArtifact(broken((l) => { l.inputMultiplier = (l.inputMultiplier as number) + 1; }), 'm.json'))
      .toThrow(new RegExp(`layers\\[${i}\\]\\.inputMultiplier: \\d+ is not TFLM's logistic prepare for input scale`));
    expect(() => validateArtifact(broken((l) => { l.inputLeftShift = 31; }), 'm.json')).toThrow(/inputLeftShift: 31 is outside \[0, 30\]/);
    expect(() => validateArtifact(broken((l) => { l.outShape = [1, 2, 3]; }), 'm.json')).toThrow(/logistic is element-wise/);
    expect(() => validateArtifact(broken((l) => { l.activationMin = -100; }), 'm.json')).toThrow(/logistic has no clamp/);
    expect(() => validateArtifact(broken((l) => { l.op = 'tanh'; }), 'm.json')).toThrow(/unknown op "tanh"; this version knows conv2d, maxpool, dense, logistic/);
  });
});

describe('a Keras sigmoid becomes dense (pre-activation range) + logistic, as in TFLite', () => {
  it('splits Dense(sigmoid), keeps Activation(sigmoid), calibrates the dense on x·W + b and converts to a valid artifact', async () => {
    const tf = await import('@tensorflow/tfjs');
    const { collectRanges, convertToInt8, readFloatGraph } = await import('../src/quantize/index.js');
    await tf.setBackend('cpu');
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [28, 28, 1] }),
        tf.layers.dense({ units: 6, activation: 'sigmoid', kernelInitializer: 'glorotUniform', biasInitializer: 'zeros' }),
        tf.layers.dense({ units: 4, activation: 'linear' }),
        tf.layers.activation({ activation: 'sigmoid' }),
        tf.layers.dense({ units: 10, activation: 'linear' }),
      ],
    });
    const ops = readFloatGraph(model);
    expect(ops.map((o) => o.op)).toEqual(['flatten', 'dense', 'logistic', 'dense', 'logistic', 'dense']);
    const rng = createRng(3);
    const images = Uint8Array.from({ length: 20 * 784 }, () => (rng() < 0.2 ? 255 : 0));
    const ranges = collectRanges(model, ops, images, 20, 10);
    const first = ranges.get(ops[1].name);
    // A post-sigmoid range would lie inside (0, 1); x·W + b of random images spreads over both signs.
    expect(first && first.min < 0 && first.max > 0 && (first.min < -1 || first.max > 1)).toBe(true);
    expect(ranges.has(ops[2].name)).toBe(false);
    // The pre-activation range matches x·W + b computed by hand for image 0.
    const x = tf.tensor2d(Array.from(images.subarray(0, 784), (p) => p / 255), [1, 784]);
    const [w, b] = model.layers[1].getWeights();
    const z = tf.matMul(x, w).add(b).dataSync();
    expect(Math.min(...z)).toBeGreaterThanOrEqual((first?.min ?? 0) - 1e-6);
    const artifact = convertToInt8({
      name: 'sig', source: { model: '.', sha256: '0'.repeat(64) }, ops, ranges, choice: { method: 'minmax' },
      calibration: { images: 20, source: 'random', candidates: [] },
    });
    expect(artifact.layers.map((l) => l.op)).toEqual(['dense', 'logistic', 'dense', 'logistic', 'dense']);
    const valid = validateArtifact(JSON.parse(JSON.stringify(artifact)), 'sig.json');
    expect(valid.layers[1]).toMatchObject({ output: { scale: 1 / 256, zeroPoint: -128 }, ...prepareLogistic(valid.layers[0].output.scale) });
    model.dispose();
  }, 60_000);
});
