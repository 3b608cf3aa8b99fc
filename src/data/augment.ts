import { IMAGE_SIZE } from './dataset.js';

export interface AugmentOptions {
  /** Max translation in pixels (uniform in ±shift). */
  readonly shift: number;
  /** Max rotation in degrees (uniform in ±rotate). */
  readonly rotate: number;
  /** Max relative scale change (uniform in 1 ± scale). */
  readonly scale: number;
  /** Probability of thickening or thinning the stroke (each half of the time). */
  readonly stroke: number;
}

export const DEFAULT_AUGMENT: AugmentOptions = { shift: 2, rotate: 10, scale: 0.1, stroke: 0.2 };

/**
 * The largest augmentation strength accepted: 5× the default magnitudes is ±10 px shift, ±50°, ±50 % scale and a
 * stroke change on every image (0.2 × 5 = 1), past which the digits leave the frame and the stroke probability
 * would mean nothing more.
 */
export const MAX_AUGMENT_STRENGTH = 5;

/**
 * One knob for how hard the augmentation distorts: every magnitude of `opt` times `strength` (shift, rotation,
 * scale change, and the probability of a stroke-width change, capped at 1). Strength 1 returns the same numbers
 * (x·1 = x exactly in float64), so it augments bit for bit as `opt`; strength 0 is no distortion at all (the
 * identity transform: augmentImage copies the image exactly). The number of rng draws per image does not depend on
 * the strength, so the seeds of every other sample are unchanged.
 */
export function scaleAugment(opt: AugmentOptions, strength: number): AugmentOptions {
  if (!Number.isFinite(strength) || strength < 0 || strength > MAX_AUGMENT_STRENGTH) {
    throw new Error(`augmentation strength must be a number from 0 to ${MAX_AUGMENT_STRENGTH}, got ${strength}`);
  }
  return {
    shift: opt.shift * strength, rotate: opt.rotate * strength, scale: opt.scale * strength,
    stroke: Math.min(1, opt.stroke * strength),
  };
}

const N = IMAGE_SIZE;

/**
 * Writes a randomly transformed copy of a 28×28 uint8 image into `out` (length 784, values 0..255).
 * Inverse-mapped affine transform about the image centre with bilinear sampling; pixels outside are background.
 * Written for speed (it runs for every training sample): per-column and per-row products hoisted, the bilinear taps
 * inlined, no allocation. Every value is computed by the same float64 operations in the same order as the plain
 * formulation kept in test/augment-reference.ts, and test/augment.test.ts holds the two equal to the bit.
 */
export function augmentImage(src: Uint8Array, out: Float32Array, rng: () => number, opt: AugmentOptions): void {
  const angle = ((rng() * 2 - 1) * opt.rotate * Math.PI) / 180;
  const s = 1 + (rng() * 2 - 1) * opt.scale;
  const dx = (rng() * 2 - 1) * opt.shift;
  const dy = (rng() * 2 - 1) * opt.shift;
  const strokeRoll = rng();
  const cos = Math.cos(angle) / s;
  const sin = Math.sin(angle) / s;
  const c = (N - 1) / 2;
  for (let x = 0; x < N; x++) {
    const ox = x - c - dx;
    cosOx[x] = cos * ox;
    negSinOx[x] = -sin * ox;
  }
  for (let y = 0; y < N; y++) {
    const oy = y - c - dy;
    const sinOy = sin * oy;
    const cosOy = cos * oy;
    const row = y * N;
    for (let x = 0; x < N; x++) {
      const sx = cosOx[x] + sinOy + c;
      const sy = negSinOx[x] + cosOy + c;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      let p00: number, p10: number, p01: number, p11: number;
      if (x0 >= 0 && y0 >= 0 && x0 < N - 1 && y0 < N - 1) {
        const i = y0 * N + x0;
        p00 = src[i]; p10 = src[i + 1]; p01 = src[i + N]; p11 = src[i + N + 1];
      } else if (x0 < -1 || y0 < -1 || x0 >= N || y0 >= N) {
        out[row + x] = 0;
        continue;
      } else {
        p00 = tap(src, x0, y0); p10 = tap(src, x0 + 1, y0); p01 = tap(src, x0, y0 + 1); p11 = tap(src, x0 + 1, y0 + 1);
      }
      out[row + x] = (p00 * (1 - fx) + p10 * fx) * (1 - fy) + (p01 * (1 - fx) + p11 * fx) * fy;
    }
  }
  if (strokeRoll < opt.stroke / 2) morph(out, true);
  else if (strokeRoll < opt.stroke) morph(out, false);
}

const cosOx = new Float64Array(N);
const negSinOx = new Float64Array(N);
const morphSrc = new Float32Array(N * N);

function tap(src: Uint8Array, xx: number, yy: number): number {
  return xx < 0 || yy < 0 || xx >= N || yy >= N ? 0 : src[yy * N + xx];
}

/**
 * Half-strength 3×3 cross dilation (max) or erosion (min): each pixel moves halfway to the max (min) of itself and
 * its 4 neighbours, a gentle change of stroke width. A flag rather than a function argument keeps the call
 * monomorphic (Math.max/Math.min passed as `op` cost most of the old version's time).
 */
function morph(img: Float32Array, dilate: boolean): void {
  morphSrc.set(img);
  const m = morphSrc;
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const i = y * N + x;
      let v = m[i];
      if (dilate) {
        if (x > 0) v = Math.max(v, m[i - 1]);
        if (x < N - 1) v = Math.max(v, m[i + 1]);
        if (y > 0) v = Math.max(v, m[i - N]);
        if (y < N - 1) v = Math.max(v, m[i + N]);
      } else {
        if (x > 0) v = Math.min(v, m[i - 1]);
        if (x < N - 1) v = Math.min(v, m[i + 1]);
        if (y > 0) v = Math.min(v, m[i - N]);
        if (y < N - 1) v = Math.min(v, m[i + N]);
      }
      img[i] = (m[i] + v) / 2;
    }
  }
}
