import { describe, expect, it } from 'vitest';
import { createRng, loadDigitSet } from '../src/data/index.js';
import { Simulator, type Int8Model } from '../src/quantize/index.js';
import { randomArtifact } from './fixtures/random-artifact.js';
import { referenceLogistic, referencePrepare } from './fixtures/logistic-reference.js';

// An independent, deliberately naive reading of the TFLite reference kernels: no padding buffers, no transposed
// weights, no zero skipping, and BigInt for the requantization. The simulator must agree on every logit.
function mbqmBig(x: number, m: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  const xs = BigInt.asIntN(32, BigInt(x) << BigInt(left));
  const a = xs;
  const b = BigInt(m);
  let high: bigint;
  if (a === -2147483648n && b === -2147483648n) high = 2147483647n;
  else {
    const ab = a * b;
    const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
    high = (ab + nudge) / (1n << 31n); // BigInt division truncates toward zero, like C
  }
  if (right === 0) return Number(high);
  const mask = (1n << BigInt(right)) - 1n;
  const rem = high & mask;
  const threshold = (mask >> 1n) + (high < 0n ? 1n : 0n);
  return Number((high >> BigInt(right)) + (rem > threshold ? 1n : 0n));
}

function naive(model: Int8Model, pixels: Uint8Array): number[] {
  let x: number[] = Array.from(pixels, (p) => p - 128);
  for (const l of model.layers) {
    const out: number[] = [];
    const clamp = (v: number): number => Math.min(l.activationMax, Math.max(l.activationMin, v));
    if (l.op === 'conv2d') {
      const [h, w, c] = l.inShape;
      const [oh, ow, oc] = l.outShape;
      for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let o = 0; o < oc; o++) {
        let acc = l.bias[o];
        for (let ky = 0; ky < l.kernel[0]; ky++) for (let kx = 0; kx < l.kernel[1]; kx++) {
          const iy = oy * l.stride[0] - l.padTop + ky;
          const ix = ox * l.stride[1] - l.padLeft + kx;
          if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
          for (let i = 0; i < c; i++) acc += l.weights[((o * l.kernel[0] + ky) * l.kernel[1] + kx) * c + i] * (x[(iy * w + ix) * c + i] - l.input.zeroPoint);
        }
        out.push(clamp(mbqmBig(acc, l.multipliers[o], l.shifts[o]) + l.output.zeroPoint));
      }
    } else if (l.op === 'maxpool') {
      const [, w, c] = l.inShape;
      const [oh, ow] = l.outShape;
      for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let ch = 0; ch < c; ch++) {
        let m = -128;
        for (let py = 0; py < l.pool[0]; py++) for (let px = 0; px < l.pool[1]; px++) m = Math.max(m, x[((oy * l.stride[0] + py) * w + ox * l.stride[1] + px) * c + ch]);
        out.push(clamp(m));
      }
    } else if (l.op === 'logistic') {
      const prepared = referencePrepare(l.input.scale);
      for (const q of x) out.push(referenceLogistic(q, l.input.zeroPoint, prepared));
    } else {
      const n = l.inShape.reduce((a, b) => a * b, 1);
      for (let u = 0; u < l.outShape[0]; u++) {
        let acc = l.bias[u];
        for (let i = 0; i < n; i++) acc += l.weights[u * n + i] * (x[i] - l.input.zeroPoint);
        out.push(clamp(mbqmBig(acc, l.multipliers[u], l.shifts[u]) + l.output.zeroPoint));
      }
    }
    x = out;
  }
  return x;
}

describe('Simulator', () => {
  const test = loadDigitSet('mnist:test', 40);

  it.each([[1, false], [2, false], [3, false], [4, false], [5, false], [1, true], [2, true], [3, true]])('matches a naive spec implementation on random artifact %i, logistic %s (same padding, stride 2, zero points, saturation)', (seed, logistic) => {
    const model = randomArtifact(seed, { logistic });
    const sim = new Simulator(model);
    const rng = createRng(seed);
    let saturated = 0;
    for (let i = 0; i < 40; i++) {
      // real digits and random noise images
      const px = i < 30 ? test.images.subarray(i * 784, i * 784 + 784) : Uint8Array.from({ length: 784 }, () => Math.floor(rng() * 256));
      const { logits, digit } = sim.classify(px);
      const ref = naive(model, px);
      expect(Array.from(logits)).toEqual(ref);
      expect(digit).toBe(ref.indexOf(Math.max(...ref)));
      saturated += ref.filter((v) => v === 127 || v === -128).length;
    }
    expect(saturated).toBeGreaterThan(0);
  });

  it('rejects images of the wrong size', () => {
    expect(() => new Simulator(randomArtifact(1)).classify(new Uint8Array(100))).toThrow(/expected 784 pixels, got 100/);
  });
});
