import type { Polarity } from './frame.js';
import { closing, opening } from './morphology.js';

/** The work image with lighting removed: 0 = paper, larger = more ink, whatever the original polarity. */
export interface InkImage {
  /** Ink strength normalized so that typical ink reads 255 (clipped). */
  readonly ink: Uint8Array;
  readonly polarity: Polarity;
  /** Typical ink-minus-paper difference in original gray levels: how visible the writing is. */
  readonly contrast: number;
  /** Robust spread of the paper after lighting removal (noise), gray levels. */
  readonly noise: number;
}

/**
 * The paper model must erase the thickest stroke: strokes are ≤ ~20 % of a digit that is ≤ ~60 % of the ROI,
 * so a window of 2r+1 with r = 10 % of the ROI spans any stroke while shadows larger than that stay paper.
 */
export const PAPER_WINDOW_FRACTION = 0.1;
/** Width of the ROI's outer ring used to fit the lighting, as a fraction of the ROI's longer side. */
export const RING_FRACTION = 0.06;

const TERMS = 6;

function percentileOfHistogram(hist: Uint32Array, count: number, q: number): number {
  const target = q * (count - 1);
  let seen = 0;
  for (let v = 0; v < hist.length; v++) {
    seen += hist[v];
    if (seen > target) return v;
  }
  return hist.length - 1;
}

function median(values: Float32Array): number {
  const sorted = Float32Array.from(values).sort();
  return sorted.length === 0 ? 0 : sorted[sorted.length >> 1];
}

/** Noise σ from the median absolute difference of horizontal neighbours: blind to lighting and to sparse edges. */
function noiseSigma(work: Uint8Array, width: number, height: number): number {
  const hist = new Uint32Array(256);
  for (let y = 0; y < height; y++) {
    for (let x = y * width, end = x + width - 1; x < end; x++) hist[Math.abs(work[x + 1] - work[x])]++;
  }
  const half = ((width - 1) * height) / 2;
  let seen = 0;
  let mad = 0;
  while (mad < 255 && seen + hist[mad] <= half) seen += hist[mad++];
  return (mad * 1.4826) / Math.SQRT2;
}

/** Quadratic lighting terms 1, u, v, u², v², uv in coordinates scaled to [-1, 1]. */
function lightingTerms(x: number, y: number, width: number, height: number, out: Float64Array): void {
  const u = (2 * x) / Math.max(1, width - 1) - 1;
  const v = (2 * y) / Math.max(1, height - 1) - 1;
  out[0] = 1; out[1] = u; out[2] = v; out[3] = u * u; out[4] = v * v; out[5] = u * v;
}

/** Least squares by the normal equations, Gaussian elimination with partial pivoting; null if singular. */
function leastSquares(rows: Float64Array, values: Float32Array, use: Uint8Array): Float64Array | null {
  const a = new Float64Array(TERMS * TERMS);
  const b = new Float64Array(TERMS);
  for (let r = 0; r < values.length; r++) {
    if (!use[r]) continue;
    for (let i = 0; i < TERMS; i++) {
      const ti = rows[r * TERMS + i];
      b[i] += ti * values[r];
      for (let j = 0; j < TERMS; j++) a[i * TERMS + j] += ti * rows[r * TERMS + j];
    }
  }
  for (let c = 0; c < TERMS; c++) {
    let pivot = c;
    for (let r = c + 1; r < TERMS; r++) if (Math.abs(a[r * TERMS + c]) > Math.abs(a[pivot * TERMS + c])) pivot = r;
    if (Math.abs(a[pivot * TERMS + c]) < 1e-9) return null;
    for (let k = 0; k < TERMS; k++) [a[c * TERMS + k], a[pivot * TERMS + k]] = [a[pivot * TERMS + k], a[c * TERMS + k]];
    [b[c], b[pivot]] = [b[pivot], b[c]];
    for (let r = c + 1; r < TERMS; r++) {
      const f = a[r * TERMS + c] / a[c * TERMS + c];
      for (let k = c; k < TERMS; k++) a[r * TERMS + k] -= f * a[c * TERMS + k];
      b[r] -= f * b[c];
    }
  }
  const x = new Float64Array(TERMS);
  for (let r = TERMS - 1; r >= 0; r--) {
    let s = b[r];
    for (let k = r + 1; k < TERMS; k++) s -= a[r * TERMS + k] * x[k];
    x[r] = s / a[r * TERMS + r];
  }
  return x;
}

/**
 * Lighting (gradient + vignetting) as a quadratic surface fitted to the ROI's outer ring, then refitted without
 * the ring pixels more than 3 robust σ off (specks, a stroke reaching the ring). The ring is paper whenever
 * the digit is wholly in view, so the fit is blind to however much ink the centre holds. Returns the surface.
 */
function ringLighting(work: Uint8Array, width: number, height: number): Float32Array {
  const ring = Math.max(2, Math.round(RING_FRACTION * Math.max(width, height)));
  const coords: number[] = [];
  for (let y = 0; y < height; y++) {
    const fullRow = y < ring || y >= height - ring;
    for (let x = 0; x < width; x++) {
      if (!fullRow && x >= ring && x < width - ring) continue;
      coords.push(x, y);
    }
  }
  const count = coords.length / 2;
  const rows = new Float64Array(count * TERMS);
  const values = new Float32Array(count);
  const terms = new Float64Array(TERMS);
  for (let r = 0; r < count; r++) {
    lightingTerms(coords[2 * r], coords[2 * r + 1], width, height, terms);
    rows.set(terms, r * TERMS);
    values[r] = work[coords[2 * r + 1] * width + coords[2 * r]];
  }
  const evaluate = (c: Float64Array, r: number): number => {
    let s = 0;
    for (let k = 0; k < TERMS; k++) s += c[k] * rows[r * TERMS + k];
    return s;
  };
  const use = new Uint8Array(count).fill(1);
  let model = leastSquares(rows, values, use);
  if (model) {
    const deviations = new Float32Array(count);
    for (let r = 0; r < count; r++) deviations[r] = Math.abs(values[r] - evaluate(model, r));
    const cutoff = Math.max(4, 3 * 1.4826 * median(deviations));
    for (let r = 0; r < count; r++) use[r] = deviations[r] <= cutoff ? 1 : 0;
    model = leastSquares(rows, values, use) ?? model;
  }
  const surface = new Float32Array(width * height);
  if (!model) return surface.fill(median(values));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      lightingTerms(x, y, width, height, terms);
      let s = 0;
      for (let k = 0; k < TERMS; k++) s += model[k] * terms[k];
      surface[y * width + x] = s;
    }
  }
  return surface;
}

/** Ink is what departs most from the paper: compares the residual mass beyond the noise on each side. */
function polarityOf(flat: Float32Array, sigma: number): Polarity {
  const tau = Math.max(3 * sigma, 8);
  let dark = 0;
  let light = 0;
  for (let i = 0; i < flat.length; i++) {
    const r = flat[i];
    if (r < -tau) dark += -r - tau;
    else if (r > tau) light += r - tau;
  }
  return dark >= light ? 'dark-on-light' : 'light-on-dark';
}

/**
 * Contrast normalization in two stages: the ring-fitted lighting surface is subtracted (it also decides the
 * polarity), then what lighting is left is removed morphologically — the paper under dark ink is the grayscale
 * closing, under light ink the opening, which erase any stroke narrower than the window however much of a
 * region it covers. Ink ends up positive and scaled so typical ink reads 255.
 */
export function normalizeInk(work: Uint8Array, width: number, height: number, polarity: Polarity | 'auto'): InkImage {
  const n = width * height;
  const sigma = noiseSigma(work, width, height);
  const lighting = ringLighting(work, width, height);
  const flat = new Float32Array(n);
  for (let i = 0; i < n; i++) flat[i] = work[i] - lighting[i];
  const resolved = polarity === 'auto' ? polarityOf(flat, sigma) : polarity;

  const radius = Math.max(2, Math.round(Math.max(width, height) * PAPER_WINDOW_FRACTION));
  const strength = new Float32Array(n);
  if (resolved === 'dark-on-light') {
    const paper = closing(flat, width, height, radius);
    for (let i = 0; i < n; i++) strength[i] = paper[i] - flat[i];
  } else {
    const paper = opening(flat, width, height, radius);
    for (let i = 0; i < n; i++) strength[i] = flat[i] - paper[i];
  }

  // The paper's own statistics (it is most of the ROI): the closing sits slightly above noisy paper, so the
  // bulk of the strength image is a small positive offset with a spread set by the (resampled) noise.
  const bins = 1024;
  const hist = new Uint32Array(bins);
  const bin = (v: number): number => Math.min(bins - 1, Math.round(v * 4));
  for (let i = 0; i < n; i++) hist[bin(strength[i])]++;
  const offset = percentileOfHistogram(hist, n, 0.5) / 4;
  hist.fill(0);
  for (let i = 0; i < n; i++) hist[bin(Math.abs(strength[i] - offset))]++;
  const paperSigma = (1.4826 * percentileOfHistogram(hist, n, 0.5)) / 4;

  // Typical ink: the median strength of pixels clearly above the paper.
  const floor = offset + Math.max(6 * paperSigma, 10);
  hist.fill(0);
  let inked = 0;
  for (let i = 0; i < n; i++) {
    if (strength[i] > floor) {
      hist[bin(strength[i] - offset)]++;
      inked++;
    }
  }
  const contrast = inked === 0 ? 0 : Math.round(percentileOfHistogram(hist, inked, 0.5) / 4);
  const ink = new Uint8Array(n);
  if (contrast > 0) {
    const gain = 255 / contrast;
    for (let i = 0; i < n; i++) ink[i] = Math.min(255, Math.max(0, Math.round((strength[i] - offset) * gain)));
  }
  return { ink, polarity: resolved, contrast, noise: paperSigma };
}
