import { closing, running2d } from './morphology.js';
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

/** A highlight must take the paper this share of the way to white before it counts as a veil at all. */
export const MIN_VEIL = 0.1;

/**
 * A desk lamp's highlight (glare) is light added over the page, not more light on it, and a camera's response
 * saturates: the added light pushes paper and ink toward white and squeezes their difference into the headroom
 * left. With a the page's illumination without the highlight and P the paper field under it, a stroke's
 * darkening P − v is its unveiled darkening times (255 − P) / (255 − a), so dividing by P alone (1 − v / P)
 * shrinks a stroke toward nothing under the highlight, and half a digit falls below the ink split or the whole
 * one under the blank test. a is the paper field with its bright bumps removed: an opening of the field (running
 * min, then max) at a window wider than a highlight; a lamp gradient or vignetting, broad and smooth, passes an
 * opening unchanged, so only a local bump counts. The true relative darkening is
 * (1 − v / P) · P (255 − a) / (a (255 − P)), with P first lowered by MIN_VEIL of the headroom: this returns that factor per pixel, ≥ 1, capped at `maxBoost`
 * (near white the headroom is noise). Only the sheet takes part: the room around a small sheet would read as
 * the sheet's "unveiled" level.
 */
export function glareBoost(paper: Float32Array, sheet: Uint8Array, width: number, height: number, radius: number, maxBoost: number): Float32Array {
  // The field is padded by 2r with its edge values (a window shrunk at the border would cut the bright end of a
  // plain lamp gradient and call it glare); off the sheet the window holds nothing: +∞ for the running min,
  // −∞ for the running max.
  const pad = 2 * radius;
  const pw = width + 2 * pad;
  const ph = height + 2 * pad;
  const at = (px: number, py: number): number => Math.min(height - 1, Math.max(0, py - pad)) * width + Math.min(width - 1, Math.max(0, px - pad));
  const masked = new Float32Array(pw * ph);
  for (let py = 0; py < ph; py++) for (let px = 0; px < pw; px++) { const i = at(px, py); masked[py * pw + px] = sheet[i] ? paper[i] : Infinity; }
  const eroded = running2d(masked, pw, ph, radius, false);
  for (let py = 0; py < ph; py++) for (let px = 0; px < pw; px++) if (!sheet[at(px, py)]) eroded[py * pw + px] = -Infinity;
  const unveiled = running2d(eroded, pw, ph, radius, true);
  const boost = new Float32Array(paper.length).fill(1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const a = unveiled[(y + pad) * pw + x + pad];
      if (!sheet[i] || !(a > 1)) continue;
      // Bumps under a tenth of the headroom are paper texture or a resampling halo next to a stroke, not a
      // highlight: near white paper they would be boosted most for nothing. Past that, the veil above it counts.
      const veiled = a + Math.max(0, paper[i] - a - MIN_VEIL * (255 - a));
      const b = (veiled * (255 - a)) / (a * Math.max(1, 255 - veiled));
      boost[i] = b < 1 ? 1 : b > maxBoost ? maxBoost : b;
    }
  }
  return boost;
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

/** Where in its range (0 = darkest, 1 = brightest) a frame's median must sit for the frame to be a page. */
export const PAGE_MEDIAN_SHARE = 0.25;

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
  // A board sits at the bottom of its range (its median within the lowest ~15 %: chalk is a minority and the
  // board spans few levels), a page near the top; but a lamp's highlight stretches a page's range upward and
  // puts its median at a third or so. So a median above the lowest quarter is a page, sure.
  return median >= lo + PAGE_MEDIAN_SHARE * (hi - lo) ? { polarity: 'dark-on-light', sure: true } : { polarity: 'light-on-dark', sure: false };
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
