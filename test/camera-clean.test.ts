/**
 * The last stage of the preprocessing (shaping: crop → fit into MNIST's 20×20 box → centre by mass in 28×28) must be
 * close to the identity on a digit that is already MNIST-normalized: a clean MNIST digit on paper, re-normalized,
 * should come back almost unchanged. These tests fail when a step of it (the gray-level ramp and its gain, the
 * crop's extent, the resampling kernel, the centre-of-mass rounding) starts to distort clean digits.
 */
import { describe, expect, test } from 'vitest';
import { mnistOnPaper, preprocess } from '../src/camera/index.js';
import { centreByMass, fitToBox, MNIST_BOX } from '../src/camera/mnist-layout.js';
import { imageAt, loadDigitSet, PIXELS } from '../src/data/index.js';
import { loadArtifact, Simulator } from '../src/quantize/index.js';

const COUNT = 300;
const digits = loadDigitSet('mnist:test', COUNT);

interface InkBox { readonly x: number; readonly y: number; readonly width: number; readonly height: number }

/** The box of a 28×28 digit's nonzero pixels: MNIST's 20-pixel box (9,997 of the 10,000 test digits fill 20). */
function inkBox(p: Uint8Array): InkBox {
  let x0 = 28, y0 = 28, x1 = -1, y1 = -1;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      if (p[y * 28 + x] === 0) continue;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

function meanAbsoluteDifference(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

const mass = (p: Uint8Array): number => p.reduce((s, v) => s + v, 0);

describe('MNIST layout: fitToBox + centreByMass', () => {
  test('re-normalizing a clean MNIST digit (its ink box → 20×20 fit → centre by mass) gives it back pixel for pixel', async () => {
    let exact = 0;
    for (let i = 0; i < COUNT; i++) {
      const px = imageAt(digits, i);
      const b = inkBox(px);
      const crop = new Uint8Array(b.width * b.height);
      for (let y = 0; y < b.height; y++) crop.set(px.subarray((b.y + y) * 28 + b.x, (b.y + y) * 28 + b.x + b.width), y * b.width);
      const fitted = await fitToBox(crop, b.width, b.height, 'lanczos3');
      const c = centreByMass(fitted.pixels, fitted.width, fitted.height);
      // MNIST placed its digits by a whole-pixel shift, and the rounding here reproduces it: measured 300/300.
      if (c.pixels.every((v, k) => v === px[k])) exact++;
    }
    expect(exact).toBeGreaterThanOrEqual(COUNT - 3);
  }, 30_000);
});

describe('preprocess: a clean MNIST digit on paper comes back nearly unchanged', () => {
  test(`${COUNT} test digits: ink box, placement, ink mass, pixels and the model's answers`, async () => {
    const sim = new Simulator(loadArtifact('models/default/model.int8.json'));
    const mads: number[] = [];
    const massRatios: number[] = [];
    let boxWithin1 = 0;
    let placedWithin1 = 0;
    let sameAnswer = 0;
    for (let i = 0; i < COUNT; i++) {
      const px = imageAt(digits, i);
      const r = await preprocess(mnistOnPaper(px, i, 'mnist:test'));
      expect(r.kind, `digit ${i}: ${r.kind === 'none' ? r.reason : ''}`).toBe('digit');
      if (r.kind !== 'digit') continue;
      expect(r.pixels.length).toBe(PIXELS);
      const want = inkBox(px);
      const got = r.geometry.box;
      expect(Math.max(got.width, got.height)).toBe(MNIST_BOX);
      if (Math.abs(got.width - want.width) <= 1 && Math.abs(got.height - want.height) <= 1) boxWithin1++;
      if (Math.abs(got.x - want.x) <= 1 && Math.abs(got.y - want.y) <= 1) placedWithin1++;
      mads.push(meanAbsoluteDifference(r.pixels, px));
      massRatios.push(mass(r.pixels) / mass(px));
      if (sim.classify(r.pixels).digit === sim.classify(px).digit) sameAnswer++;
    }
    const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
    // Measured (2026-12-02, these 300 digits): box within a pixel 280, placed within a pixel 299, mean absolute
    // difference 2.2 gray levels per pixel (worst digit 21.6), ink mass 1.007 of the original, same answer 299.
    // Before the shaping stopped upsampling and took the gain from the stroke cores: 7.5 (worst 23.9) and 1.067,
    // which the mean-difference and mass bounds reject. Tolerances: a little past what was measured.
    expect(boxWithin1).toBeGreaterThanOrEqual(270);
    expect(placedWithin1).toBeGreaterThanOrEqual(295);
    expect(mean(mads)).toBeLessThan(3.5);
    expect(Math.max(...mads)).toBeLessThan(30);
    expect(Math.abs(mean(massRatios) - 1)).toBeLessThan(0.03);
    // The shipped model's answer stays the same (the weights may be retrained: a bound, not an exact count).
    expect(sameAnswer).toBeGreaterThanOrEqual(COUNT - 3);
  }, 120_000);
});
