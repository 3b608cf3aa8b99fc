import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildHostEngine, FirmwareGenError, generateFirmware, hasTool, packedConvEligibility, planArena, runHostEngine,
} from '../firmware-gen/index.js';
import { createRng, loadDigitSet } from '../src/data/index.js';
import {
  activationClamp, quantizeMultiplier, Simulator, validateArtifact, type Int8Model, type QuantLayer, type QuantParams,
} from '../src/quantize/index.js';
import { randomArtifact } from './fixtures/random-artifact.js';

// Tiny hand-made artifacts, each aimed at one kernel feature the default model never uses, run through the
// generated C (ASan/UBSan, specialized and generic kernels) and compared logit by logit with the simulator.
const CI = process.env.CI === 'true';
const ENGINE_MAIN = path.join('test', 'c', 'engine_main.c');
const CACHE = path.join(os.tmpdir(), 'edge-digits-test-c-engine');
const haveGcc = hasTool('gcc');
if (!haveGcc) console.warn('\n*** firmware-kernels: gcc not found — SKIPPING the C kernel tests (they fail under CI=true) ***\n');
const SHA = 'a'.repeat(64);

type Rng = () => number;
const intIn = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));

interface ConvSpec { oc: number; k: [number, number]; s: [number, number]; same: boolean; relu: boolean; out: QuantParams; multipliers: number[]; bias: [number, number]; w?: [number, number] }

/** Builds layers shape by shape, so every artifact below reads like its architecture. */
class ArtifactBuilder {
  private readonly layers: QuantLayer[] = [];
  private shape = [28, 28, 1];
  private q: QuantParams = { scale: Math.fround(1 / 255), zeroPoint: -128 };
  constructor(private readonly rng: Rng) {}

  private requant(reals: number[]): { multipliers: number[]; shifts: number[] } {
    const m = reals.map((r) => quantizeMultiplier(r));
    return { multipliers: m.map((x) => x.multiplier), shifts: m.map((x) => x.shift) };
  }

  conv(c: ConvSpec): this {
    const [h, w, ic] = this.shape;
    const [kh, kw] = c.k;
    const [sh, sw] = c.s;
    const oh = c.same ? Math.ceil(h / sh) : Math.floor((h - kh) / sh) + 1;
    const ow = c.same ? Math.ceil(w / sw) : Math.floor((w - kw) / sw) + 1;
    // TFLite 'same': the smaller half of the padding before, the rest after.
    const padTop = c.same ? Math.floor(Math.max(0, (oh - 1) * sh + kh - h) / 2) : 0;
    const padLeft = c.same ? Math.floor(Math.max(0, (ow - 1) * sw + kw - w) / 2) : 0;
    this.layers.push({
      op: 'conv2d', name: `conv${this.layers.length}`, inShape: this.shape, outShape: [oh, ow, c.oc], input: this.q, output: c.out,
      ...activationClamp(c.relu ? 'relu' : 'none', c.out), kernel: c.k, stride: c.s, padTop, padLeft, activation: c.relu ? 'relu' : 'none',
      weights: Array.from({ length: c.oc * kh * kw * ic }, () => {
        const w = c.w;
        return w === undefined ? intIn(this.rng, -127, 127) : (this.rng() < 0.5 ? -1 : 1) * intIn(this.rng, w[0], w[1]);
      }),
      weightScales: Array.from({ length: c.oc }, () => 0.01), bias: Array.from({ length: c.oc }, () => intIn(this.rng, c.bias[0], c.bias[1])),
      ...this.requant(c.multipliers),
    });
    this.shape = [oh, ow, c.oc];
    this.q = c.out;
    return this;
  }

  pool(p: [number, number], s: [number, number], clamp: [number, number] = [-128, 127]): this {
    const [h, w, ch] = this.shape;
    const outShape = [Math.floor((h - p[0]) / s[0]) + 1, Math.floor((w - p[1]) / s[1]) + 1, ch];
    this.layers.push({ op: 'maxpool', name: `pool${this.layers.length}`, inShape: this.shape, outShape, input: this.q, output: this.q, activationMin: clamp[0], activationMax: clamp[1], pool: p, stride: s });
    this.shape = outShape;
    return this;
  }

  dense(units: number, out: QuantParams, multipliers: number[], relu = false, bias: [number, number] = [-3000, 3000]): this {
    const n = this.shape.reduce((a, b) => a * b, 1);
    this.layers.push({
      op: 'dense', name: `dense${this.layers.length}`, inShape: [n], outShape: [units], input: this.q, output: out,
      ...activationClamp(relu ? 'relu' : 'none', out), activation: relu ? 'relu' : 'none',
      weights: Array.from({ length: units * n }, () => intIn(this.rng, -127, 127)), weightScales: Array.from({ length: units }, () => 0.01),
      bias: Array.from({ length: units }, () => intIn(this.rng, bias[0], bias[1])), ...this.requant(multipliers),
    });
    this.shape = [units];
    this.q = out;
    return this;
  }

  build(name: string): Int8Model {
    const raw = {
      format: 'edge-digits-int8', version: 1, name, source: { model: '.', sha256: '0'.repeat(64) },
      input: { shape: [28, 28, 1], scale: Math.fround(1 / 255), zeroPoint: -128 }, output: { shape: [10], ...this.q },
      layers: this.layers, calibration: { method: 'minmax', images: 0, source: 'hand-made', candidates: [] }, params: 0, macs: 0,
    };
    return validateArtifact(raw, `${name} (hand-made)`);
  }
}

const qp = (zeroPoint: number): QuantParams => ({ scale: 0.05, zeroPoint });
/** Real multipliers spread over 2^-14 … 2^-7 plus a few > 1 (positive shifts) for saturation. */
const spread = (n: number, rng: Rng, big = 0): number[] => Array.from({ length: n }, (_, i) => (i < big ? 1.5 + rng() * 3 : 2 ** (-14 + rng() * 7)));

/** 'same' padding (5×5 stride 2: pad 1 before, 2 after), overlapping pools, non-zero zero points, saturation. */
function samePaddingStrideTwo(): Int8Model {
  const rng = createRng(11);
  return new ArtifactBuilder(rng)
    .conv({ oc: 3, k: [5, 5], s: [2, 2], same: true, relu: false, out: qp(7), multipliers: spread(3, rng, 1), bias: [-9000, 9000] })
    .pool([3, 3], [2, 2], [-100, 110])
    .conv({ oc: 4, k: [3, 3], s: [1, 1], same: true, relu: true, out: qp(-20), multipliers: spread(4, rng), bias: [-5000, 5000] })
    .conv({ oc: 5, k: [2, 3], s: [2, 1], same: false, relu: false, out: qp(35), multipliers: spread(5, rng), bias: [-5000, 5000] })
    .dense(10, qp(-3), [8, 0.004, 2 ** -9, 2 ** -10, 2 ** -11, 2 ** -12, 2 ** -13, 0.0005, 3, 2 ** -20], false, [-400000, 400000])
    .build('same-stride2');
}

/** Asymmetric stride and kernel, 'same' with odd padding on both axes, ReLU on a positive zero point. */
function asymmetricSame(): Int8Model {
  const rng = createRng(12);
  return new ArtifactBuilder(rng)
    .conv({ oc: 2, k: [4, 2], s: [3, 2], same: true, relu: true, out: qp(40), multipliers: spread(2, rng), bias: [-2000, 2000] })
    .conv({ oc: 3, k: [3, 3], s: [2, 2], same: true, relu: false, out: qp(-90), multipliers: spread(3, rng, 1), bias: [-2000, 2000] })
    .dense(10, qp(0), spread(10, rng, 2), false, [-300000, 300000])
    .build('asymmetric');
}

/**
 * Valid padding everywhere, so ed_conv2d_s8 runs its packed loop: channel counts that leave 3, 2 and 1 channels in
 * the last group of 4, strides 2 and 3, in_c > 1, ReLU on a non-negative zero point and no activation (the exact
 * negative rounding), positive shifts; then a 5x5x21 layer whose weights are too large for the packed lanes
 * (sum |w| > 65535), which must fall back to the reference loop and agree all the same.
 */
function validPacked(): Int8Model {
  const rng = createRng(15);
  return new ArtifactBuilder(rng)
    .conv({ oc: 7, k: [3, 3], s: [1, 1], same: false, relu: true, out: qp(-20), multipliers: spread(7, rng, 2), bias: [-9000, 9000] })
    .conv({ oc: 6, k: [3, 2], s: [2, 3], same: false, relu: false, out: qp(35), multipliers: spread(6, rng, 1), bias: [-20000, 20000] })
    .conv({ oc: 21, k: [2, 2], s: [1, 1], same: false, relu: true, out: qp(10), multipliers: spread(21, rng), bias: [-5000, 5000] })
    .conv({ oc: 4, k: [5, 5], s: [1, 1], same: false, relu: false, out: qp(-5), multipliers: spread(4, rng), bias: [-5000, 5000], w: [126, 127] })
    .dense(10, qp(-3), spread(10, rng, 2), false, [-400000, 400000])
    .build('valid-packed');
}

/** The input tensor reused in place by a first-layer pool, then a dense layer straight on it. */
function poolFirst(): Int8Model {
  const rng = createRng(13);
  return new ArtifactBuilder(rng)
    .pool([2, 2], [2, 2])
    .dense(12, qp(-60), spread(12, rng), true)
    .dense(10, qp(100), spread(10, rng, 3), false, [-200000, 200000])
    .build('pool-first');
}

/** 784 → 10 directly: the dense kernel on the raw quantized image. */
function denseOnly(): Int8Model {
  const rng = createRng(14);
  return new ArtifactBuilder(rng).dense(10, qp(-128), spread(10, rng, 4), false, [-500000, 500000]).build('dense-only');
}

/** [title, artifact, kernel variants]: each sanitized compile costs ~1-2 s, so the generic kernels (ED_SPECIALIZE=0)
 * run on the two artifacts with padding, where their run-time bounds checks matter. */
const ARTIFACTS: [string, () => Int8Model, string[]][] = [
  ['same padding + stride 2 + zero points + saturation', samePaddingStrideTwo, ['1', '0']],
  ['asymmetric kernels/strides with same padding', asymmetricSame, ['1', '0']],
  ['pool as first layer (in place on the input)', poolFirst, ['1']],
  ['dense only', denseOnly, ['1']],
  ['valid padding: the packed conv loop, and its fallback', validPacked, ['1', '0']],
  ['shared random artifact 1 (positive shifts)', () => randomArtifact(1), ['1']],
];

/** Real digits, then noise, then the extremes (blank, full ink, checkerboards). */
function probeImages(): { images: Uint8Array; count: number } {
  const digits = loadDigitSet('mnist:test', 60);
  const rng = createRng(99);
  const extra = [
    new Uint8Array(784), new Uint8Array(784).fill(255),
    Uint8Array.from({ length: 784 }, (_, i) => (((i % 28) + Math.floor(i / 28)) % 2 ? 255 : 0)),
    Uint8Array.from({ length: 784 }, (_, i) => (((i % 28) + Math.floor(i / 28)) % 2 ? 0 : 255)),
    ...Array.from({ length: 36 }, () => Uint8Array.from({ length: 784 }, () => Math.floor(rng() * 256))),
  ];
  const count = digits.count + extra.length;
  const images = new Uint8Array(count * 784);
  images.set(digits.images);
  extra.forEach((img, i) => images.set(img, (digits.count + i) * 784));
  return { images, count };
}

describe.runIf(haveGcc || CI)('generated C kernels vs the simulator on hand-made artifacts', () => {
  const probe = probeImages();

  it.each(ARTIFACTS)('%s: every logit equals the simulator\'s (ASan/UBSan)', (_, make, variants) => {
    const model = make();
    const fw = generateFirmware(model, { artifactSha256: SHA, generatorVersion: 'test' });
    const expected = new Simulator(model).classifyMany(probe.images, probe.count);
    for (const specialize of variants) {
      const exe = buildHostEngine(fw, { main: ENGINE_MAIN, optimization: '-O1', sanitize: true, defines: { ED_SPECIALIZE: specialize }, cacheDir: CACHE });
      const c = runHostEngine(exe, probe.images, probe.count);
      expect({ specialize, logits: Array.from(c.logits) }).toEqual({ specialize, logits: Array.from(expected.logits) });
      expect(Array.from(c.digits)).toEqual(Array.from(expected.digits));
    }
  }, 60_000);

  it('the hand-made artifacts really exercise saturation at both ends of int8 and non-zero zero points', () => {
    for (const make of [samePaddingStrideTwo, asymmetricSame, poolFirst, denseOnly, validPacked]) {
      const model = make();
      const { logits } = new Simulator(model).classifyMany(probe.images, probe.count);
      expect(logits.includes(127), `${model.name} reaches 127`).toBe(true);
      expect(logits.includes(-128), `${model.name} reaches -128`).toBe(true);
    }
    const same = samePaddingStrideTwo().layers[0];
    expect(same.op === 'conv2d' && [same.padTop, same.padLeft]).toEqual([1, 1]);
    expect(samePaddingStrideTwo().layers.some((l) => l.input.zeroPoint !== -128 && l.op !== 'maxpool')).toBe(true);
    expect(samePaddingStrideTwo().layers.some((l) => (l.op === 'conv2d' || l.op === 'dense') && l.shifts.some((s) => s > 0))).toBe(true);
    expect(planArena(poolFirst()).inPlace[0]).toBe(true);
    const loops = validPacked().layers.map((l) => (l.op === 'conv2d' ? packedConvEligibility(l).ok : null));
    expect(loops).toEqual([true, true, true, false, null]);
  });
});

describe('generation refuses what the C engine cannot compute exactly', () => {
  it('names the layer and channel whose int32 accumulator could overflow', () => {
    const model = denseOnly();
    const layer = model.layers[0];
    if (layer.op !== 'dense') throw new Error('dense-only artifact changed');
    const huge = structuredClone(model) as Int8Model;
    (huge.layers[0] as typeof layer).bias[3] = 2147483000;
    expect(() => generateFirmware(validateArtifact(huge, 'huge-bias'), { artifactSha256: SHA, generatorVersion: 'test' }))
      .toThrowError(FirmwareGenError);
    expect(() => generateFirmware(huge, { artifactSha256: SHA, generatorVersion: 'test' })).toThrowError(/layers\[0\] \(dense0\): output channel 3 can accumulate up to \d+/);
  });
});
