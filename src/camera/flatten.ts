import { closing } from './morphology.js';
import type { Polarity } from './frame.js';

/*
 * Lighting first, decisions after. A camera sees reflectance × illumination (lamp gradient, vignetting, shadow
 * bands and blobs, tinted paper). The illumination field is estimated as the grayscale closing of the plane at a
 * window wider than any stroke — it erases ink whatever its share of a region, and follows anything broader —
 * and divided out, so a pixel's ink strength is its relative darkening, 1 − value / paper, independent of how
 * much light falls on that part of the page. Every ink, paper or blank decision runs on that flattened image.
 */

/** One work-resolution plane in the dark-ink-on-light-paper orientation, 0..255. */
export interface Plane {
  readonly name: InkChannel;
  readonly data: Float32Array;
}

export type InkChannel = 'luma' | 'red' | 'green' | 'blue';

export interface Flattened {
  /** The illumination field (paper as it would look without ink). */
  readonly paper: Float32Array;
  /** Relative ink strength 1 − value / paper, clipped to [0, 1]. */
  readonly strength: Float32Array;
}

/** Divides the plane by its closing at `radius`: what is left is reflectance relative to the local paper. */
export function flattenIllumination(plane: Float32Array, width: number, height: number, radius: number): Flattened {
  const paper = closing(plane, width, height, radius);
  const strength = new Float32Array(plane.length);
  for (let i = 0; i < plane.length; i++) {
    const p = paper[i];
    const s = p > 1 ? 1 - plane[i] / p : 0;
    strength[i] = s < 0 ? 0 : s > 1 ? 1 : s;
  }
  return { paper, strength };
}

/**
 * Another channel flattened with the luma's illumination field: light is (nearly) neutral, so a channel's
 * paper is the luma's paper times the paper's colour ratio in that channel, measured as the median ratio over
 * paper pixels (`use` and luma strength under `paperBelow`). Saves a closing per channel; ink that only one
 * channel sees (red ink on pink paper) never dented the luma's paper field in the first place.
 */
export function flattenLike(plane: Float32Array, luma: Flattened, use: Uint8Array, paperBelow: number): Flattened {
  const n = plane.length;
  const bins = 2048;
  const hist = new Uint32Array(bins);
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (!use[i] || luma.strength[i] >= paperBelow || luma.paper[i] <= 1) continue;
    hist[Math.min(bins - 1, Math.round((plane[i] / luma.paper[i]) * 512))]++;
    count++;
  }
  let ratio = 1;
  if (count > 0) {
    let seen = 0;
    for (let b = 0; b < bins; b++) {
      seen += hist[b];
      if (seen > count / 2) { ratio = b / 512; break; }
    }
  }
  const paper = new Float32Array(n);
  const strength = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const p = luma.paper[i] * ratio;
    paper[i] = p;
    const s = p > 1 ? 1 - plane[i] / p : 0;
    strength[i] = s < 0 ? 0 : s > 1 ? 1 : s;
  }
  return { paper, strength };
}

/**
 * Noise σ of the flattened image (relative units) from the median absolute difference of horizontal neighbours
 * over the pixels in `use`: smooth shading changes neighbours alike, so it does not inflate it, and sparse ink
 * edges do not move a median. Gaussian noise of σ gives neighbour differences of σ√2, MAD 0.6745·σ√2.
 */
export function flatNoiseSigma(plane: Float32Array, paper: Float32Array, width: number, height: number, use: Uint8Array): number {
  const bins = 4096;
  const hist = new Uint32Array(bins);
  let count = 0;
  for (let y = 0; y < height; y++) {
    for (let x = y * width, end = x + width - 1; x < end; x++) {
      if (!use[x] || !use[x + 1] || paper[x] <= 1 || paper[x + 1] <= 1) continue;
      const d = Math.abs(plane[x + 1] / paper[x + 1] - plane[x] / paper[x]);
      hist[Math.min(bins - 1, Math.round(d * 4096))]++;
      count++;
    }
  }
  if (count === 0) return 0;
  let seen = 0;
  let mad = 0;
  while (mad < bins - 1 && seen + hist[mad] <= count / 2) seen += hist[mad++];
  return ((mad / 4096) * 1.4826) / Math.SQRT2;
}

/**
 * Dark ink on light paper, or light on dark, and whether that is sure. The background is what most pixels
 * show: when the median sits in the upper half of the range, the paper is light (sure). A dark median
 * is a dark board with light ink, or a dark room around a sheet (whose ink breaks it into pieces an opening
 * would erase, so shape cannot tell): light-on-dark is likelier, not sure, and the caller tries both. (Comparing
 * the closing's and the opening's residues instead is fooled by squared paper, whose small paper squares an
 * opening erases, and by a digit's loops, which a closing fills.)
 */
export function inkPolarity(plane: Float32Array): { readonly polarity: Polarity; readonly sure: boolean } {
  const n = plane.length;
  const hist = new Uint32Array(64);
  for (let i = 0; i < n; i++) hist[Math.min(63, Math.max(0, Math.floor(plane[i] / 4)))]++;
  let seen = 0, lo = 0, hi = 255;
  for (let b = 0; b < 64; b++) { seen += hist[b]; if (seen > 0.002 * n) { lo = b * 4; break; } }
  seen = 0;
  for (let b = 63; b >= 0; b--) { seen += hist[b]; if (seen > 0.002 * n) { hi = b * 4 + 3; break; } }
  // The median: which side of the range most pixels are on (a histogram's mode is fooled by a gradient that
  // spreads the board over many levels while thick chalk sits in a few).
  seen = 0;
  let median = 0;
  for (let b = 0; b < 64; b++) { seen += hist[b]; if (seen > n / 2) { median = b * 4 + 2; break; } }
  return median >= (lo + hi) / 2 ? { polarity: 'dark-on-light', sure: true } : { polarity: 'light-on-dark', sure: false };
}

/** q-quantile (0..1) of `values` over the pixels in `use`, by a 4096-bin histogram of [0, 1]. */
export function quantileWhere(values: Float32Array, use: Uint8Array, q: number): number {
  const bins = 4096;
  const hist = new Uint32Array(bins);
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    if (!use[i]) continue;
    hist[Math.min(bins - 1, Math.max(0, Math.round(values[i] * (bins - 1))))]++;
    count++;
  }
  if (count === 0) return 0;
  const target = q * (count - 1);
  let seen = 0;
  for (let b = 0; b < bins; b++) {
    seen += hist[b];
    if (seen > target) return b / (bins - 1);
  }
  return 1;
}
