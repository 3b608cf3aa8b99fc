import { closing, runningWindow2d } from './morphology.js';
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

/** The wider closing fillWideInk re-estimates the paper with, as a multiple of the lighting window's radius. */
export const WIDE_INK_RADIUS_FACTOR = 2;
/** fillWideInk never fills below this strength: a 60-level shadow on 160-level paper reads 0.38, 70 on 170 0.41. */
export const WIDE_INK_FLOOR = 0.45;

export interface PixelBox { readonly minX: number; readonly minY: number; readonly maxX: number; readonly maxY: number }

export interface WideInkOptions {
  /** Only these pixels take part (the sheet; in shaping, the digit finding chose). */
  readonly use: Uint8Array;
  /** The strength a restored pixel reaches at least (never below WIDE_INK_FLOOR). */
  readonly minFill: number;
  /**
   * The glare factor per pixel, when strength carries it. The dent test and the restored strength use, at each
   * pixel, the largest factor within R = WIDE_INK_RADIUS_FACTOR · r: under a highlight the paper field inside a
   * wide stroke follows the veiled ink down, so glareBoost reads no highlight there, only around it.
   */
  readonly boost?: Float32Array;
  /**
   * When given, a pixel is restored only between ink (strength over `level` before the fill) on both sides, left
   * and right or above and below, each within `within` pixels: the inside of a stroke has its rims on both sides,
   * while the tilted edge of a broad dark region (a sheet seen from a dark room's side), which square windows
   * cannot follow and the wider closing leaves brighter beside it, has ink on one side only.
   */
  readonly rim?: { readonly level: number; readonly within: number };
}

/**
 * Restores the inside of strokes wider than the lighting window, within `box` (the digit found so far, and a
 * margin) and only on the pixels in `use` (the sheet: a sliver of the room between the sheet and the image's
 * edge is narrower than the wider window, which would erase it into "paper" and call the room ink). A closing at
 * radius r erases dark features narrower than 2r+1 only: inside a stroke wider than that
 * (a bold digit, a marker) the "paper" follows the ink down, 1 − value / paper reads ≈ 0 there, and the stroke
 * comes out as an outline, in pieces, or not at all. There the paper field itself is dented: darker than the
 * brightest paper near the box by at least `minFill` (the dent times the glare factor under a highlight), which shading inside a digit's box is not (a 60-level
 * shadow on 160-level paper dents it by 0.38; minFill is at least WIDE_INK_FLOOR). Only then is the paper
 * re-estimated with a closing at WIDE_INK_RADIUS_FACTOR · r over the box (plus the 2R that closing reads), and a
 * pixel whose strength under that paper (times the glare factor, when `boost` is given) reaches minFill and exceeds
 * its strength takes it: the same ink as the stroke's rims, while a digit's own loop (paper-bright) stays paper.
 * Cost: a scan of the box per call; the wider closing only when the box holds a dent. Writes `strength` in place;
 * returns how many pixels it raised.
 */
export function fillWideInk(plane: Float32Array, paper: Float32Array, strength: Float32Array, width: number, height: number, radius: number, box: PixelBox, options: WideInkOptions): number {
  const { use, boost, rim } = options;
  const fill = Math.max(WIDE_INK_FLOOR, options.minFill);
  const bx0 = Math.max(0, box.minX), by0 = Math.max(0, box.minY), bx1 = Math.min(width - 1, box.maxX), by1 = Math.min(height - 1, box.maxY);
  if (bx1 < bx0 || by1 < by0) return 0;
  // The brightest paper within r of the box: a dent is judged against it.
  let bright = 0;
  for (let y = Math.max(0, by0 - radius); y <= Math.min(height - 1, by1 + radius); y++) {
    for (let x = Math.max(0, bx0 - radius), row = y * width; x <= Math.min(width - 1, bx1 + radius); x++) if (use[row + x] && paper[row + x] > bright) bright = paper[row + x];
  }
  if (!(bright > 1)) return 0;
  // The closing at R reads the plane up to 2R away (max, then min): the crop holds that margin, so inside the
  // box it equals the whole image's closing.
  const wide = WIDE_INK_RADIUS_FACTOR * radius;
  const x0 = Math.max(0, bx0 - 2 * wide), y0 = Math.max(0, by0 - 2 * wide);
  const cw = Math.min(width - 1, bx1 + 2 * wide) - x0 + 1, ch = Math.min(height - 1, by1 + 2 * wide) - y0 + 1;
  // Under a highlight the dent is veiled as the ink is (see glareBoost): a wide stroke there dents the paper field
  // by its veiled darkening only. The glare factor inside the dent is the dent's own (the field followed the ink
  // down, so it reads no highlight there): the factor of the highlight around it, the largest within R, is used.
  // No highlight near the box (the usual frame): a scan of the crop, no running max.
  const boostCrop = boost ? cropOf(boost, width, x0, y0, cw, ch) : null;
  // It is read in the box only: the running max at the box's positions (windows clipped to the crop, as before).
  const bw = bx1 - bx0 + 1;
  const veil = boostCrop && boostCrop.some((b) => b > 1) ? runningWindow2d(boostCrop, cw, ch, wide, true, bx0 - x0, by0 - y0, bw, by1 - by0 + 1) : null;
  const veilAt = (x: number, y: number): number => (veil ? veil[(y - by0) * bw + x - bx0] : 1);
  let dented = false;
  for (let y = by0; y <= by1 && !dented; y++) {
    for (let x = bx0, row = y * width; x <= bx1; x++) if (use[row + x] && (1 - paper[row + x] / bright) * veilAt(x, y) > fill) { dented = true; break; }
  }
  if (!dented) return 0;
  const widePaper = closing(cropOf(plane, width, x0, y0, cw, ch), cw, ch, wide);
  const inkBefore = rim ? Uint8Array.from(strength, (v) => (v > rim.level ? 1 : 0)) : null;
  const enclosed = (x: number, y: number): boolean => {
    if (!rim || !inkBefore) return true;
    const reach = rim.within;
    const find = (dx: number, dy: number): boolean => {
      for (let k = 1; k <= reach; k++) {
        const xx = x + k * dx, yy = y + k * dy;
        if (xx < 0 || yy < 0 || xx >= width || yy >= height) return false;
        if (inkBefore[yy * width + xx]) return true;
      }
      return false;
    };
    return (find(-1, 0) && find(1, 0)) || (find(0, -1) && find(0, 1));
  };
  let filled = 0;
  for (let y = by0; y <= by1; y++) {
    for (let x = bx0; x <= bx1; x++) {
      const i = y * width + x;
      if (!use[i]) continue;
      const p = widePaper[(y - y0) * cw + x - x0];
      if (!(p > 1)) continue;
      let s = (1 - plane[i] / p) * veilAt(x, y);
      if (s > 1) s = 1;
      if (s >= fill && Math.fround(s) > strength[i] && enclosed(x, y)) { strength[i] = s; filled++; }
    }
  }
  return filled;
}

/** The cw×ch window of a width-wide plane at (x0, y0). */
function cropOf(plane: Float32Array, width: number, x0: number, y0: number, cw: number, ch: number): Float32Array {
  const crop = new Float32Array(cw * ch);
  for (let y = 0; y < ch; y++) crop.set(plane.subarray((y + y0) * width + x0, (y + y0) * width + x0 + cw), y * cw);
  return crop;
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
  // −∞ for the running max. The opening is read inside the field only, so the min is needed within r of it,
  // where a window of the edge-padded field covers the same pixels as the window clipped to the field; its
  // result is read at positions −r … width + r − 1 (and the same in y) without building the padded field.
  const masked = new Float32Array(width * height);
  for (let i = 0; i < masked.length; i++) masked[i] = sheet[i] ? paper[i] : Infinity;
  const pw = width + 2 * radius;
  const ph = height + 2 * radius;
  const eroded = runningWindow2d(masked, width, height, radius, false, -radius, -radius, pw, ph);
  for (let py = 0; py < ph; py++) {
    const row = Math.min(height - 1, Math.max(0, py - radius)) * width;
    for (let px = 0; px < pw; px++) if (!sheet[row + Math.min(width - 1, Math.max(0, px - radius))]) eroded[py * pw + px] = -Infinity;
  }
  const unveiled = runningWindow2d(eroded, pw, ph, radius, true, radius, radius, width, height);
  const boost = new Float32Array(paper.length).fill(1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const a = unveiled[i];
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
