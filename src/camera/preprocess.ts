import sharp, { type Sharp } from 'sharp';
import { labelComponents, type Component } from './components.js';
import { fillWideInk, WIDE_INK_RADIUS_FACTOR, flatNoiseSigma, flattenIllumination, flattenLike, glareBoost, inkPolarity, quantileWhere, type InkChannel, type Plane } from './flatten.js';
import { checkFrame, type Frame, type Polarity, type Rect } from './frame.js';
import { running2d } from './morphology.js';
import { centreByMass, fitToBox, type ResizeKernel } from './mnist-layout.js';
import { DEFAULT_ROI, resolveRoi, type RoiSpec } from './roi.js';
import { findSheet, type Sheet } from './sheet.js';
import { adaptiveSplit, otsuSplit, type InkSplit, type ThresholdMethod, type ThresholdSummary } from './threshold.js';

export interface PreprocessOptions {
  readonly roi: RoiSpec;
  /** The ROI is first resized (sharp, anti-aliased) so its longer side is this many pixels; finding runs there. */
  readonly workSize: number;
  readonly threshold: ThresholdMethod;
  readonly polarity: Polarity | 'auto';
  /** Below this ink-minus-paper difference of the strongest ink (gray levels of the paper) the frame is blank. */
  readonly minContrast: number;
  /** Below this contrast-to-noise ratio (on the lighting-flattened image) the frame is blank too. */
  readonly minContrastToNoise: number;
  /**
   * Below this relative ink strength (1 − ink / paper, lighting removed) of the strongest ink the frame is
   * blank too: pen, marker and pencil absorb over half the light; ruling, shadow edges and paper texture far less.
   */
  readonly minInkStrength: number;
  /** A digit in more pieces than this is texture (ruling broken up by noise, paper grain), 'fragmented'. */
  readonly maxDigitPieces: number;
  /** Ink pixels as a fraction of the sheet: fewer is 'too-little-ink', more is 'too-much-ink'. */
  readonly minInkFraction: number;
  readonly maxInkFraction: number;
  /** The digit's longer side as a fraction of the ROI's shorter side, below which it is 'too-small'. */
  readonly minDigitSize: number;
  /** Share of the sheet's (inner) ink that must belong to the digit; less means noise or several objects ('fragmented'). */
  readonly minDigitShare: number;
  readonly resizeKernel: ResizeKernel;
}

/*
 * Two stages. Finding (ROI at workSize): lighting flattened per channel, the channel with most ink–paper
 * contrast chosen, the sheet found, ink split at half the strongest ink, components judged by where they are
 * (touching the sheet's or the ROI's edge: fingers, ruling, the sheet edge, a cut digit) and by shape. Shaping:
 * the digit's neighbourhood is cut from the full-resolution frame at a scale set by the digit (its longer
 * side DIGIT_WORK pixels), flattened again there, split (Otsu by default) and fitted MNIST-style.
 */
export const DEFAULT_PREPROCESS: PreprocessOptions = {
  roi: DEFAULT_ROI,
  workSize: 200,
  threshold: 'otsu',
  polarity: 'auto',
  minContrast: 12,
  minContrastToNoise: 9,
  minInkStrength: 0.35,
  maxDigitPieces: 12,
  minInkFraction: 0.0004,
  maxInkFraction: 0.35,
  minDigitSize: 0.08,
  minDigitShare: 0.6,
  resizeKernel: 'lanczos3',
};

export interface FrameGeometry {
  /** Region analysed, frame pixels. */
  readonly roi: Rect;
  /** Size of the downscaled ROI the finding ran on. */
  readonly work: { readonly width: number; readonly height: number };
  readonly polarity: Polarity;
  /** Strongest ink minus paper, gray levels of the paper (after lighting removal). */
  readonly contrast: number;
  /** Noise σ of the flattened image, same units. */
  readonly noise: number;
  /** The colour channel the ink was read from ('luma' for gray frames). */
  readonly channel?: InkChannel;
  /** The sheet of paper, frame pixels, when the room shows around it. */
  readonly sheet?: Rect;
  /** Share of the sheet's box the sheet covers (an A4 sheet tilted 6° covers 0.82 of it, 10° 0.73). */
  readonly sheetFill?: number;
  readonly threshold?: ThresholdSummary;
  readonly inkFraction?: number;
  readonly components?: number;
  /** The digit's ink box, frame pixels (also given for a digit cut by the ROI edge). */
  readonly bbox?: Rect;
}

export interface DigitGeometry extends FrameGeometry {
  readonly threshold: ThresholdSummary;
  readonly inkFraction: number;
  readonly components: number;
  readonly bbox: Rect;
  /** Share of the sheet's inner ink that belongs to the digit. */
  readonly digitShare: number;
  /** Share of its box the digit's main stroke covers (work image): strokes fill little, a solid patch most. */
  readonly inkFill: number;
  /** The digit's ink as a share of the view (work image). */
  readonly inkArea: number;
  /** The digit's intensity-weighted centre of mass: in frame pixels, and in the 28×28 output. */
  readonly centreOfMass: { readonly x: number; readonly y: number };
  readonly centreOfMass28: { readonly x: number; readonly y: number };
  /** The 20-pixel box the digit was fitted into and where it was pasted in 28×28. */
  readonly box: Rect;
}

/**
 * Why there is no digit. 'edge-object' is something at the edge of the sheet or view that is not a cut digit
 * (a finger or thumb, the sheet's own edge); 'ruled-lines' is long thin lines only (ruled or squared paper);
 * 'blob' is a solid dark patch, not strokes (a dark object, the sheet itself when the room is taken for paper).
 */
export type NoDigitCode = 'blank' | 'too-little-ink' | 'too-much-ink' | 'cut-by-edge' | 'fragmented' | 'too-small' | 'edge-object' | 'ruled-lines' | 'blob';

export type PreprocessResult =
  | { readonly kind: 'digit'; readonly pixels: Uint8Array; readonly geometry: DigitGeometry }
  | { readonly kind: 'none'; readonly code: NoDigitCode; readonly reason: string; readonly geometry: FrameGeometry };

function checkOptions(o: PreprocessOptions): void {
  if (!Number.isInteger(o.workSize) || o.workSize < 28 || o.workSize > 1024) throw new TypeError(`preprocess: workSize must be an integer in 28..1024, got ${o.workSize}`);
  if (o.threshold !== 'otsu' && o.threshold !== 'adaptive') throw new TypeError(`preprocess: threshold must be 'otsu' or 'adaptive', got '${String(o.threshold)}'`);
  if (!['auto', 'dark-on-light', 'light-on-dark'].includes(o.polarity)) throw new TypeError(`preprocess: polarity must be 'auto', 'dark-on-light' or 'light-on-dark', got '${String(o.polarity)}'`);
  if (!(Number.isInteger(o.maxDigitPieces) && o.maxDigitPieces >= 1)) throw new TypeError(`preprocess: maxDigitPieces must be a positive integer, got ${o.maxDigitPieces}`);
  for (const k of ['minInkFraction', 'maxInkFraction', 'minDigitSize', 'minDigitShare', 'minInkStrength'] as const) {
    if (!(o[k] >= 0 && o[k] <= 1)) throw new TypeError(`preprocess: ${k} must be in [0, 1], got ${o[k]}`);
  }
  if (!(o.minContrast >= 0)) throw new TypeError(`preprocess: minContrast must be ≥ 0, got ${o.minContrast}`);
  if (!(o.minContrastToNoise >= 0)) throw new TypeError(`preprocess: minContrastToNoise must be ≥ 0, got ${o.minContrastToNoise}`);
}

const CHANNEL_NAMES: readonly InkChannel[] = ['red', 'green', 'blue'];

/** A region of the frame resized with sharp to w×h: the luma plane, plus R, G, B when the frame has colour. */
async function regionPlanes(frame: Frame, region: Rect, width: number, height: number, colour: boolean, only?: InkChannel): Promise<Plane[]> {
  const resize = (img: Sharp): Sharp => img
    .extract({ left: region.x, top: region.y, width: region.width, height: region.height })
    .resize(width, height, { fit: 'fill', kernel: 'cubic' });
  if (!colour || !frame.rgb || only === 'luma') {
    const g = await resize(sharp(frame.gray, { raw: { width: frame.width, height: frame.height, channels: 1 } })).toColourspace('b-w').raw().toBuffer();
    return [{ name: 'luma', data: Float32Array.from(g) }];
  }
  // One resize of the colour frame; its luma (Rec. 601 weights) rather than a second pass over the gray frame.
  const c = await resize(sharp(frame.rgb, { raw: { width: frame.width, height: frame.height, channels: 3 } })).raw().toBuffer();
  const n = width * height;
  const rgb = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  const luma = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = c[3 * i], g = c[3 * i + 1], b = c[3 * i + 2];
    rgb[0][i] = r; rgb[1][i] = g; rgb[2][i] = b;
    luma[i] = 0.299 * r + 0.587 * g + 0.114 * b;
  }
  if (only) return [{ name: only, data: rgb[CHANNEL_NAMES.indexOf(only)] }];
  return [{ name: 'luma', data: luma }, ...CHANNEL_NAMES.map((name, k) => ({ name, data: rgb[k] }))];
}

function invert(p: Plane): Plane {
  const data = new Float32Array(p.data.length);
  for (let i = 0; i < data.length; i++) data[i] = 255 - p.data[i];
  return { name: p.name, data };
}

/** Per component: how many boundary pixels it has, its summed strength, and whether it reaches the sheet edge. */
interface Measured {
  readonly c: Component;
  readonly boundary: number;
  readonly meanStrength: number;
  /** Reaches the sheet's or the ROI's edge, or is skin-toned (a finger or thumb over the page, see isSkinTone). */
  readonly atEdge: boolean;
  readonly skin: boolean;
  /** Typical stroke width, pixels: 2 · area / boundary pixels (a stroke of width w and length L: 2wL / 2L). */
  readonly strokeWidth: number;
  readonly longest: number;
}

/**
 * Skin, as a camera sees it, whatever the light's level: red strongest, green 0.55–0.85 of it, blue 0.35–0.8 of it
 * and below green (the skin tones of the scene renderer, light to dark, fall at g/r 0.67–0.78, b/r 0.49–0.67). Ink
 * is not: blue, black, green and purple inks fail on red, red and orange inks on green (g/r ≤ 0.31).
 */
export function isSkinTone(r: number, g: number, b: number): boolean {
  return r > 0 && g >= 0.55 * r && g <= 0.85 * r && b >= 0.35 * r && b <= 0.8 * r && b < 0.95 * g;
}

/** A component's colour is read from its core: the pixels of at least this share of its strongest ink (the rims of
 * a thin stroke are mostly paper). */
const SKIN_CORE_SHARE = 0.75;

function measureComponents(labels: Int32Array, components: readonly Component[], strength: Float32Array, inner: Uint8Array, width: number, height: number, rgb: readonly Float32Array[] | null): Measured[] {
  const k = components.length;
  const boundary = new Uint32Array(k + 1);
  const sum = new Float64Array(k + 1);
  const edge = new Uint8Array(k + 1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const l = labels[i];
      if (l === 0) continue;
      sum[l] += strength[i];
      const up = y > 0 ? labels[i - width] : 0;
      const down = y < height - 1 ? labels[i + width] : 0;
      const left = x > 0 ? labels[i - 1] : 0;
      const right = x < width - 1 ? labels[i + 1] : 0;
      if (up !== l || down !== l || left !== l || right !== l) boundary[l]++;
      // Reaching outside the (inset) sheet within one pixel counts as touching its edge.
      if (!inner[i] || (y > 0 && !inner[i - width]) || (y < height - 1 && !inner[i + width]) || (x > 0 && !inner[i - 1]) || (x < width - 1 && !inner[i + 1])) edge[l] = 1;
    }
  }
  // The mean colour of each component's core, for the skin test.
  const skin = new Uint8Array(k + 1);
  if (rgb) {
    const peak = new Float32Array(k + 1);
    for (let i = 0; i < labels.length; i++) { const l = labels[i]; if (l !== 0 && strength[i] > peak[l]) peak[l] = strength[i]; }
    const r = new Float64Array(k + 1), g = new Float64Array(k + 1), b = new Float64Array(k + 1);
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i];
      if (l === 0 || strength[i] < SKIN_CORE_SHARE * peak[l]) continue;
      r[l] += rgb[0][i]; g[l] += rgb[1][i]; b[l] += rgb[2][i];
    }
    for (let l = 1; l <= k; l++) skin[l] = isSkinTone(r[l], g[l], b[l]) ? 1 : 0;
  }
  return components.map((c) => ({
    c, boundary: boundary[c.label], meanStrength: sum[c.label] / c.area, atEdge: edge[c.label] === 1 || c.touchesEdge || skin[c.label] === 1, skin: skin[c.label] === 1,
    strokeWidth: (2 * c.area) / Math.max(1, boundary[c.label]),
    longest: Math.max(c.maxX - c.minX + 1, c.maxY - c.minY + 1),
  }));
}

type Box = { minX: number; minY: number; maxX: number; maxY: number };

/**
 * The digit among the inner components: the seed is the one with most ink (area × strength) that is not a
 * speck, then pieces close to the group join (a 5's detached bar, a broken stroke), as before.
 */
function chooseDigit(candidates: readonly Measured[]): { group: Measured[]; box: Box; area: number } | null {
  if (candidates.length === 0) return null;
  let seed = candidates[0];
  for (const m of candidates) if (m.c.area * m.meanStrength > seed.c.area * seed.meanStrength) seed = m;
  const group = [seed];
  const inGroup = new Set<number>([seed.c.label]);
  const box: Box = { minX: seed.c.minX, minY: seed.c.minY, maxX: seed.c.maxX, maxY: seed.c.maxY };
  const minArea = Math.max(2, 0.03 * seed.c.area);
  for (let grew = true; grew; ) {
    grew = false;
    const reach = 0.3 * Math.max(box.maxX - box.minX + 1, box.maxY - box.minY + 1);
    for (const m of candidates) {
      const c = m.c;
      if (inGroup.has(c.label) || c.area < minArea) continue;
      const gapX = Math.max(0, c.minX - box.maxX, box.minX - c.maxX);
      const gapY = Math.max(0, c.minY - box.maxY, box.minY - c.maxY);
      if (Math.max(gapX, gapY) > reach) continue;
      group.push(m);
      inGroup.add(c.label);
      box.minX = Math.min(box.minX, c.minX);
      box.minY = Math.min(box.minY, c.minY);
      box.maxX = Math.max(box.maxX, c.maxX);
      box.maxY = Math.max(box.maxY, c.maxY);
      grew = true;
    }
  }
  return { group, box, area: group.reduce((a, m) => a + m.c.area, 0) };
}

/** A long thin line: ruled or squared paper, a table edge. */
function isLine(m: Measured, sheetSpan: number): boolean {
  return m.longest >= 0.45 * sheetSpan && m.strokeWidth <= 0.06 * m.longest;
}

/** What a component at the edge is: a digit cut by the edge has strokes thin for its size; a finger does not. */
function edgeKind(m: Measured, sheetSpan: number, roiSide: number, digitStroke: number | null): 'line' | 'cut' | 'object' {
  if (m.skin) return 'object';
  if (isLine(m, sheetSpan)) return 'line';
  // A finger is as wide as a thick marker stroke at most only on a huge digit: compare with the digit in view.
  const maxStroke = digitStroke === null ? 0.06 * roiSide : 2 * digitStroke;
  if (m.c.area >= 12 && m.longest >= 0.08 * roiSide && m.strokeWidth <= 0.25 * m.longest && m.strokeWidth <= maxStroke) return 'cut';
  return 'object';
}

/*
 * The gray levels of the digit, MNIST-like. The ink image is scaled so a stroke's typical strength reads 255;
 * MNIST's strokes are saturated cores with anti-aliased rims from its 20×20 resampling. A ramp from 10 % to
 * 90 % of the typical stroke keeps those rims (a split-relative ramp saturated them and thickened every
 * stroke: +2.6 gray levels per pixel on clean MNIST digits) and clips only the faint haze and the noise in
 * the cores. The rim of a stroke lies up to a pixel (of the 20×20 box, ~3 shaping pixels) outside the split's
 * mask, so pixels within RIM of the digit's components take part too.
 */
const RAMP_LOW = 0.1 * 255;
const RAMP_HIGH = 0.9 * 255;
const RIM = 3;

/**
 * Anti-aliased digit crop: the ink ramped from RAMP_LOW to RAMP_HIGH, restricted to the digit's components and
 * the pixels within RIM of them (noise and other objects elsewhere are dropped).
 */
function digitCrop(ink: Uint8Array, labels: Int32Array, isDigit: Uint8Array, width: number, height: number, box: { minX: number; minY: number; maxX: number; maxY: number }): { crop: Uint8Array; x: number; y: number; width: number; height: number } {
  const x0 = Math.max(0, box.minX - RIM);
  const y0 = Math.max(0, box.minY - RIM);
  const x1 = Math.min(width - 1, box.maxX + RIM);
  const y1 = Math.min(height - 1, box.maxY + RIM);
  const cw = x1 - x0 + 1;
  const ch = y1 - y0 + 1;
  const soft = new Uint8Array(cw * ch);
  let minX = cw, minY = ch, maxX = -1, maxY = -1;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const i = y * width + x;
      const label = labels[i];
      let eligible = label !== 0 && isDigit[label] === 1;
      if (label === 0) {
        for (let dy = -RIM; dy <= RIM && !eligible; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= height) continue;
          for (let dx = -RIM; dx <= RIM; dx++) {
            const xx = x + dx;
            if (xx >= 0 && xx < width && isDigit[labels[yy * width + xx]] === 1) { eligible = true; break; }
          }
        }
      }
      if (!eligible) continue;
      const v = Math.round(Math.min(1, Math.max(0, (ink[i] - RAMP_LOW) / (RAMP_HIGH - RAMP_LOW))) * 255);
      if (v === 0) continue;
      const j = (y - y0) * cw + (x - x0);
      soft[j] = v;
      if (x - x0 < minX) minX = x - x0;
      if (x - x0 > maxX) maxX = x - x0;
      if (y - y0 < minY) minY = y - y0;
      if (y - y0 > maxY) maxY = y - y0;
    }
  }
  const tw = maxX - minX + 1;
  const th = maxY - minY + 1;
  const crop = new Uint8Array(tw * th);
  for (let y = 0; y < th; y++) crop.set(soft.subarray((y + minY) * cw + minX, (y + minY) * cw + minX + tw), y * tw);
  return { crop, x: x0 + minX, y: y0 + minY, width: tw, height: th };
}

function percent(v: number): string {
  return `${(v * 100).toFixed(v < 0.01 ? 2 : 1)} %`;
}


interface InkMask {
  readonly mask: Uint8Array;
  readonly split: InkSplit;
  readonly inkPixels: number;
}

/** Adaptive split parameters on the 0..255 normalized ink image: window ≈ 1/8 of the crop, offset, floor. */
const ADAPTIVE_RADIUS_FRACTION = 1 / 16;
const ADAPTIVE_OFFSET = 20;
const ADAPTIVE_FLOOR = 64;

function splitInk(ink: Uint8Array, width: number, height: number, method: ThresholdMethod): InkMask {
  const radius = Math.max(2, Math.round(Math.max(width, height) * ADAPTIVE_RADIUS_FRACTION));
  const split = method === 'otsu' ? otsuSplit(ink) : adaptiveSplit(ink, width, height, radius, ADAPTIVE_OFFSET, ADAPTIVE_FLOOR);
  const mask = new Uint8Array(ink.length);
  let inkPixels = 0;
  for (let i = 0; i < ink.length; i++) {
    if (ink[i] > split.levels[i]) {
      mask[i] = 1;
      inkPixels++;
    }
  }
  return { mask, split, inkPixels };
}

/**
 * The digit's longer side in the shaping crop, pixels, at most: MNIST digits were drawn larger than the 20×20 box.
 * A digit smaller in the frame is shaped at the frame's resolution (never upsampled; see shapeDigit).
 */
const DIGIT_WORK = 56;
/** Finding's lighting window: 2r+1 with r = 7 % of the ROI's shorter side spans the thickest stroke of a digit
 * up to 0.6 of the frame height (strokes ≤ 0.2 of the digit) while shadows and the sheet stay paper. */
const FIND_RADIUS_FRACTION = 0.07;
/** Share of its box a digit's ink fills at most, unless the box is thin (a '1'): most MNIST digits fill 0.2–0.55,
 * the boldest test digits (a fat 1, 9 or 0) up to 0.72; a disc fills 0.79, a square all of it. */
const MAX_FILL = 0.75;
/** A solid patch's stroke (2 · area / boundary) is half its width or more (a square, a disc); a bold ring's a third. */
const MAX_STROKE_SHARE = 0.45;
/** A component at least this many times as long as it is wide (elongation) is a stroke, however thick: a bold '1'
 * written short fills its box and its "stroke" is half its width, as a blob's is, but a blob is round or square. */
const MIN_STROKE_ELONGATION = 2;

/**
 * How many times as long as wide a component is: √(λ₁ / λ₂) of its pixels' covariance (second central moments).
 * A w × L bar reads L / w at any angle; a disc or a square 1.
 */
function elongation(labels: Int32Array, c: Component, width: number): number {
  let n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (let y = c.minY; y <= c.maxY; y++) {
    for (let x = c.minX; x <= c.maxX; x++) {
      if (labels[y * width + x] !== c.label) continue;
      n++; sx += x; sy += y; sxx += x * x; syy += y * y; sxy += x * y;
    }
  }
  if (n < 2) return 1;
  const mx = sx / n, my = sy / n;
  const a = sxx / n - mx * mx, b = syy / n - my * my, d = sxy / n - mx * my;
  const mid = (a + b) / 2, half = Math.sqrt(((a - b) / 2) ** 2 + d * d);
  const small = mid - half;
  return small > 1e-9 ? Math.sqrt((mid + half) / small) : Infinity;
}

/** A bright region that fills this share of its box is a sheet of paper: an A4 sheet tilted up to 6° fills ≥ 0.82
 * of it, an ellipse 0.785 and the blob a board's closing makes of a chalk digit less. */
const UPRIGHT_SHEET_FILL = 0.8;
/** A sheet tilted up to 10° fills ≥ 0.73 of its box: down to this fill a bright region is a sheet too when the digit
 * leaves paper around it (MAX_DIGIT_ON_SHEET). A more tilted sheet falls back to the stroke-likeness test. */
const MIN_SHEET_FILL = 0.7;
/** The page reading's digit spans at most this share of the sheet's shorter side: a digit written on a sheet has
 * paper around it; a board's chalk digit, whose closing is the "sheet", spans all of it. */
const MAX_DIGIT_ON_SHEET = 0.8;

/** A hole of the ink mask is the hollow inside of a wide stroke where its pixels reach this share of the strongest
 * ink once the paper is re-estimated wider (fillWideInk): the same ink reads ~1 of it, a 60-level shadow on
 * 160-level paper 0.38 of the light, a digit's bright loop near 0. */
const WIDE_INK_SHARE = 0.6;

/** Glare window: 2r+1 with r = 35 % of the ROI's shorter side is wider than a lamp's highlight on the page. */
const GLARE_RADIUS_FRACTION = 0.35;
/** At most this much veil is taken out: a highlight that leaves under a quarter of the ink's darkening is
 * saturation, where noise would be boosted as much as ink. */
const MAX_GLARE_BOOST = 4;

/** Strength × boost, clipped to 1. */
function boosted(strength: Float32Array, boost: Float32Array): Float32Array {
  const out = new Float32Array(strength.length);
  for (let i = 0; i < out.length; i++) { const v = strength[i] * boost[i]; out[i] = v > 1 ? 1 : v; }
  return out;
}

/** Shaping's lighting window: 2r+1 with r = 16 % of DIGIT_WORK spans any of a digit's strokes (of a smaller
 * digit shaped at the frame's resolution, a larger share). */
const SHAPE_RADIUS_FRACTION = 0.16;
/**
 * Which of the clearly inked pixels are the stroke cores the gain maps to 255. Thin strokes are mostly rim, so
 * the median (used before) sat in the rims: the gain brightened them and the ramp saturated them, and clean
 * MNIST digits came back with 7 % more ink and thicker strokes (their cores read 255 already). The 90th
 * percentile is the cores: clean digits keep their ink (mass 1.07 → 1.01 of the original with the no-upsample
 * shaping, MNIST test digits 0–4,999 on paper; the model's answer changed on 28 of them before, 12 after).
 */
const STROKE_CORE_QUANTILE = 0.9;

interface Shaped {
  readonly pixels: Uint8Array;
  readonly split: InkSplit;
  readonly bbox: Rect;
  readonly centreOfMass: { x: number; y: number };
  readonly centreOfMass28: { x: number; y: number };
  readonly box: Rect;
}

/**
 * Shaping: the digit's neighbourhood from the full-resolution frame at DIGIT_WORK pixels for the digit's longer
 * side, lighting flattened again at that scale, split, and the components that overlap the found digit fitted
 * MNIST-style (20×20 box, centre of mass at 14, 14).
 */
async function shapeDigit(frame: Frame, roi: Rect, found: Rect, allowed: (x: number, y: number) => boolean, glareAt: (x: number, y: number) => number, channel: InkChannel, polarity: Polarity, o: PreprocessOptions): Promise<Shaped | null> {
  const long = Math.max(found.width, found.height);
  const margin = 0.3 * long + 2;
  const x0 = Math.max(roi.x, Math.floor(found.x - margin));
  const y0 = Math.max(roi.y, Math.floor(found.y - margin));
  const x1 = Math.min(roi.x + roi.width, Math.ceil(found.x + found.width + margin));
  const y1 = Math.min(roi.y + roi.height, Math.ceil(found.y + found.height + margin));
  const region = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  // Never upsample: resampling a small digit up to DIGIT_WORK adds no detail, and going up then back down into the
  // 20-pixel box blurs it twice (clean MNIST digits on paper: 8.0 → 3.7 gray levels mean difference from the
  // original, tuning digits). A digit smaller than DIGIT_WORK is shaped at the frame's own resolution.
  const scale = Math.min(1, DIGIT_WORK / long);
  const width = Math.max(8, Math.round(region.width * scale));
  const height = Math.max(8, Math.round(region.height * scale));
  const sx = width / region.width;
  const sy = height / region.height;
  let [plane] = await regionPlanes(frame, region, width, height, channel !== 'luma', channel);
  if (polarity === 'light-on-dark') plane = invert(plane);
  const radius = Math.max(2, Math.round(SHAPE_RADIUS_FRACTION * DIGIT_WORK));
  const { paper, strength } = flattenIllumination(plane.data, width, height, radius);
  // The highlight's veil, as finding measured it (see glareBoost), taken out here too: else the strokes under it
  // come out faint or lost while finding saw the whole digit.
  const glare = new Float32Array(width * height);
  // Only near the ink finding chose: ruling, the sheet's edge or a finger elsewhere in the crop stay out.
  const near = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      near[i] = allowed(region.x + (x + 0.5) / sx, region.y + (y + 0.5) / sy) ? 1 : 0;
      glare[i] = glareAt(region.x + (x + 0.5) / sx, region.y + (y + 0.5) / sy);
      strength[i] = Math.min(1, strength[i] * glare[i]);
    }
  }
  // The found digit's box in crop pixels; its strong ink sets the gain so typical ink reads 255.
  const bx0 = Math.max(0, Math.floor((found.x - region.x) * sx) - 1);
  const by0 = Math.max(0, Math.floor((found.y - region.y) * sy) - 1);
  const bx1 = Math.min(width - 1, Math.ceil((found.x + found.width - region.x) * sx) + 1);
  const by1 = Math.min(height - 1, Math.ceil((found.y + found.height - region.y) * sy) + 1);
  const inBox = new Uint8Array(width * height);
  for (let y = by0; y <= by1; y++) inBox.fill(1, y * width + bx0, y * width + bx1 + 1);
  // Typical ink, as MNIST's saturated stroke cores: a high quantile of the box's clearly inked pixels.
  // A stroke wider than this window too (a bold digit is shaped at DIGIT_WORK pixels, its strokes up to ~0.4 of
  // that) comes out hollow here as well, or gone when it is a straight bar: its inside is restored (fillWideInk,
  // with the same glare factor), against the strong ink left when there is some.
  fillWideInk(plane.data, paper, strength, width, height, radius, { minX: bx0, minY: by0, maxX: bx1, maxY: by1 }, { use: near, minFill: WIDE_INK_SHARE * quantileWhere(strength, inBox, 0.97), boost: glare });
  const strong = quantileWhere(strength, inBox, 0.97);
  if (!(strong > 0)) return null;
  const inked = new Uint8Array(width * height);
  for (let i = 0; i < inked.length; i++) inked[i] = inBox[i] && strength[i] > 0.15 * strong ? 1 : 0;
  const typical = quantileWhere(strength, inked, STROKE_CORE_QUANTILE);
  if (!(typical > 0)) return null;
  const ink = new Uint8Array(width * height);
  const gain = 255 / typical;
  for (let i = 0; i < ink.length; i++) if (near[i]) ink[i] = Math.min(255, Math.round(strength[i] * gain));
  const { mask, split } = splitInk(ink, width, height, o.threshold);
  const { labels, components } = labelComponents(mask, width, height);
  const overlapping = components.filter((c) => c.maxX >= bx0 && c.minX <= bx1 && c.maxY >= by0 && c.minY <= by1);
  if (overlapping.length === 0) return null;
  const largest = Math.max(...overlapping.map((c) => c.area));
  const isDigit = new Uint8Array(components.length + 1);
  const box: Box = { minX: Infinity, minY: Infinity, maxX: -1, maxY: -1 };
  for (const c of overlapping) {
    if (c.area < 0.03 * largest) continue;
    isDigit[c.label] = 1;
    box.minX = Math.min(box.minX, c.minX);
    box.minY = Math.min(box.minY, c.minY);
    box.maxX = Math.max(box.maxX, c.maxX);
    box.maxY = Math.max(box.maxY, c.maxY);
  }
  const crop = digitCrop(ink, labels, isDigit, width, height, box);
  if (crop.width <= 0 || crop.height <= 0) return null;
  const fitted = await fitToBox(crop.crop, crop.width, crop.height, o.resizeKernel);
  const centred = centreByMass(fitted.pixels, fitted.width, fitted.height);
  const comCropX = (centred.comX - centred.offsetX + 0.5) * (crop.width / fitted.width);
  const comCropY = (centred.comY - centred.offsetY + 0.5) * (crop.height / fitted.height);
  return {
    pixels: centred.pixels,
    split,
    bbox: { x: region.x + box.minX / sx, y: region.y + box.minY / sy, width: (box.maxX - box.minX + 1) / sx, height: (box.maxY - box.minY + 1) / sy },
    centreOfMass: { x: region.x + (crop.x + comCropX) / sx, y: region.y + (crop.y + comCropY) / sy },
    centreOfMass28: { x: centred.comX, y: centred.comY },
    box: { x: centred.offsetX, y: centred.offsetY, width: fitted.width, height: fitted.height },
  };
}

/**
 * Turns a frame into an MNIST-style 28×28 digit (0 = background, 255 = ink) the way MNIST was made, or says
 * why there is none. Finding: ROI → work size → polarity → lighting divided out per channel → sheet → the
 * channel with most ink contrast → blank test (contrast, contrast-to-noise) → ink split → components judged by
 * place and shape. Shaping: see shapeDigit. Geometry is in frame pixels, continuous coordinates.
 */
export async function preprocess(frame: Frame, options: Partial<PreprocessOptions> = {}): Promise<PreprocessResult> {
  checkFrame(frame);
  const o: PreprocessOptions = { ...DEFAULT_PREPROCESS, ...options };
  checkOptions(o);
  const roi = resolveRoi(o.roi, frame.width, frame.height);
  const { result, pageSheet } = await readRoi(frame, o, roi);
  // A small sheet in front of a room is seen at few work pixels: its digit's strokes are a couple of pixels wide,
  // the lighting window spans most of the sheet and the room's darkness reaches the digit from the sheet's edge,
  // so the page reading calls it cut by the edge and the board reading finds the sheet itself as light "ink".
  // Then the sheet (with a margin of the room, for its edges) is read again as the view: the digit there is as
  // large as on a sheet that fills the frame. That reading decides, with two exceptions. A digit the first page
  // reading found stands when the second finds none. And a board's chalk digit closes into a bright region that
  // can look like a small sheet (a '0' and its inside): against a light digit found first, the second reading's
  // digit must be the more stroke-like (fill less of its box), as between the two polarities above.
  const sheet = pageSheet && sheetView(pageSheet, roi, frame.width, frame.height);
  if (!sheet) return result;
  const inside = (await readRoi(frame, o, sheet)).result;
  if (result.kind !== 'digit') return inside;
  if (result.geometry.polarity === 'dark-on-light') return inside.kind === 'digit' ? inside : result;
  return inside.kind === 'digit' && inside.geometry.inkFill < result.geometry.inkFill ? inside : result;
}

/** A sheet whose longer side is at most this share of the view's shorter side is read again on its own. */
const SMALL_SHEET_SHARE = 0.6;
/** A small sheet's shorter side is at least this share of its longer side. */
const SHEET_MIN_ASPECT = 0.5;
/** The margin of room kept around a small sheet read on its own, as a share of its longer side. */
const SMALL_SHEET_MARGIN = 0.1;

/** The view to read a small sheet in (integer pixels inside the frame and the ROI), or null when the sheet is not small. */
function sheetView(sheet: Rect, roi: Rect, frameWidth: number, frameHeight: number): Rect | null {
  const long = Math.max(sheet.width, sheet.height);
  if (long > SMALL_SHEET_SHARE * Math.min(roi.width, roi.height)) return null;
  // Paper is at most ~1.5 times as long as wide (A4 1.41, letter 1.29); a region twice that is the closing of a
  // chalk stroke on a board, a '1', not a sheet.
  if (Math.min(sheet.width, sheet.height) < SHEET_MIN_ASPECT * long) return null;
  const m = SMALL_SHEET_MARGIN * long;
  const x0 = Math.max(roi.x, Math.floor(sheet.x - m)), y0 = Math.max(roi.y, Math.floor(sheet.y - m));
  const x1 = Math.min(roi.x + roi.width, frameWidth, Math.ceil(sheet.x + sheet.width + m));
  const y1 = Math.min(roi.y + roi.height, frameHeight, Math.ceil(sheet.y + sheet.height + m));
  return x1 - x0 >= 28 && y1 - y0 >= 28 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
}

/** One reading of a view: both polarities when the background does not say which, and the page reading's sheet. */
async function readRoi(frame: Frame, o: PreprocessOptions, roi: Rect): Promise<{ result: PreprocessResult; pageSheet: Rect | null }> {
  const scale = Math.min(4, o.workSize / Math.max(roi.width, roi.height));
  const width = Math.max(1, Math.round(roi.width * scale));
  const height = Math.max(1, Math.round(roi.height * scale));
  const view: WorkView = { roi, width, height, sx: width / roi.width, sy: height / roi.height };
  const planes = await regionPlanes(frame, roi, width, height, frame.rgb !== undefined);
  const sheetOf = (r: PreprocessResult): Rect | null => (r.geometry.polarity === 'dark-on-light' && (r.geometry.sheetFill ?? 0) >= MIN_SHEET_FILL ? r.geometry.sheet ?? null : null);
  if (o.polarity !== 'auto') { const r = await findDigit(frame, o, view, planes, o.polarity); return { result: r, pageSheet: sheetOf(r) }; }
  const judged = inkPolarity(planes[0].data);
  const first = await findDigit(frame, o, view, planes, judged.polarity);
  // A dark background is a board with light ink, or a dark room around a sheet, which taken for a board shows
  // the sheet as ink and the digit as holes in it. Both are tried; when both find a digit, the one whose ink is
  // more stroke-like (fills less of its box) wins — a board's other polarity finds a digit's loops,
  // a sheet's finds the sheet, and both fill their boxes more than strokes do.
  if (judged.sure) return { result: first, pageSheet: sheetOf(first) };
  const other = await findDigit(frame, o, view, planes, judged.polarity === 'dark-on-light' ? 'light-on-dark' : 'dark-on-light');
  const pageSheet = sheetOf(first) ?? sheetOf(other);
  if (other.kind === 'digit' && first.kind === 'digit') {
    // A digit on a bright rectangle bounded by a darker room, read as a page, is a digit on a sheet of paper; the
    // board reading of the same frame finds the paper between its strokes, or the sheet, as light "ink", and a
    // thin '1' fills its box more than those do, so the stroke-likeness test below would pick the wrong one.
    const page = first.geometry.polarity === 'dark-on-light' ? first : other;
    // A sheet tilted up to 6° fills ≥ 0.8 of its box, which the blob a board's closing makes of chalk does not; a
    // sheet tilted up to 10° fills ≥ 0.7, and then the digit must leave paper around it as well.
    const fill = page.geometry.sheetFill ?? 0;
    const sheetRect = page.geometry.sheet;
    const onSheet = sheetRect !== undefined
      && Math.max(page.geometry.bbox.width, page.geometry.bbox.height) <= MAX_DIGIT_ON_SHEET * Math.min(sheetRect.width, sheetRect.height);
    if (fill >= UPRIGHT_SHEET_FILL || (fill >= MIN_SHEET_FILL && onSheet)) return { result: page, pageSheet };
    return { result: other.geometry.inkFill < first.geometry.inkFill ? other : first, pageSheet };
  }
  return { result: other.kind === 'digit' ? other : first, pageSheet };
}

/** The ink mask (strength over `level` on the sheet), its components measured, and the digit chosen among the inner ones. */
function inkComponents(strength: Float32Array, sheetMask: Uint8Array, level: number, width: number, height: number, span: number, rgb: readonly Float32Array[] | null) {
  const mask = new Uint8Array(width * height);
  let sheetArea = 0;
  let inkPixels = 0;
  for (let i = 0; i < mask.length; i++) {
    sheetArea += sheetMask[i];
    if (sheetMask[i] && strength[i] > level) { mask[i] = 1; inkPixels++; }
  }
  const { labels, components } = labelComponents(mask, width, height);
  const measured = measureComponents(labels, components, strength, sheetMask, width, height, rgb);
  const inner = measured.filter((m) => !m.atEdge && !isLine(m, span));
  const lines = measured.filter((m) => isLine(m, span)).length;
  const choice = chooseDigit(inner.filter((m) => m.c.area >= 2));
  return { labels, components, measured, inkPixels, sheetArea, inner, lines, choice };
}

interface WorkView { readonly roi: Rect; readonly width: number; readonly height: number; readonly sx: number; readonly sy: number }

async function findDigit(frame: Frame, o: PreprocessOptions, view: WorkView, raw: Plane[], polarity: Polarity): Promise<PreprocessResult> {
  const { roi, width, height, sx, sy } = view;
  const toFrame = (b: Box): Rect => ({ x: roi.x + b.minX / sx, y: roi.y + b.minY / sy, width: (b.maxX - b.minX + 1) / sx, height: (b.maxY - b.minY + 1) / sy });
  const none = (code: NoDigitCode, reason: string, geometry: FrameGeometry): PreprocessResult => ({ kind: 'none', code, reason, geometry });
  const radius = Math.max(2, Math.round(FIND_RADIUS_FRACTION * Math.min(width, height)));
  const planes = polarity === 'light-on-dark' ? raw.map(invert) : raw;
  const lumaFlat = flattenIllumination(planes[0].data, width, height, radius);
  const sheet: Sheet = findSheet(lumaFlat.paper, width, height, Math.max(1, Math.round(radius / 3)));
  const unboosted = planes.map((p, k) => (k === 0 ? lumaFlat : flattenLike(p.data, lumaFlat, sheet.mask, 0.1)));
  // A lamp's highlight is a veil over the ink: its strength is restored before any decision (see glareBoost).
  const boostRadius = Math.max(2, Math.round(GLARE_RADIUS_FRACTION * Math.min(width, height)));
  const boost = glareBoost(lumaFlat.paper, sheet.mask, width, height, boostRadius, MAX_GLARE_BOOST);
  const flats = unboosted.map((f) => ({ paper: f.paper, strength: boosted(f.strength, boost) }));
  // The channel with most ink–paper contrast for its noise.
  let best = 0;
  let bestScore = -1;
  const stats = planes.map((p, k) => {
    const sigma = flatNoiseSigma(p.data, flats[k].paper, width, height, sheet.mask);
    const peak = quantileWhere(flats[k].strength, sheet.mask, 0.999);
    return { sigma, peak };
  });
  stats.forEach((s, k) => {
    const score = s.peak / Math.max(s.sigma, 0.002);
    if (score > bestScore) { bestScore = score; best = k; }
  });
  const channel = planes[best].name;
  const { strength } = flats[best];
  const { sigma, peak } = stats[best];
  const contrast = Math.round(peak * sheet.paperLevel);
  const noise = Number((sigma * sheet.paperLevel).toFixed(2));
  const base: FrameGeometry = {
    roi, work: { width, height }, polarity, contrast, noise, channel,
    ...(sheet.bounded ? { sheet: toFrame(sheet.box), sheetFill: Number(sheet.fill.toFixed(3)) } : {}),
  };
  if (contrast < o.minContrast || peak < o.minContrastToNoise * sigma || peak < o.minInkStrength) {
    return none('blank', `blank: nothing stands out of the paper once the lighting is removed (strongest ink ${contrast} gray levels = ${percent(peak)} of the paper's light, noise σ ${noise.toFixed(1)}; need ≥ ${o.minContrast}, ≥ ${percent(o.minInkStrength)} and ≥ ${o.minContrastToNoise}σ)`, base);
  }

  // Ink: at least half the strongest ink (faint ruling, remnants of shadow edges and skin stay out).
  const level = Math.max(0.5 * peak, 4 * sigma);
  const span = Math.max(sheet.box.maxX - sheet.box.minX + 1, sheet.box.maxY - sheet.box.minY + 1);
  // The frame's own colours (not inverted): a skin-toned component is a finger or thumb, never the digit.
  const rgb = raw.length === 4 ? raw.slice(1).map((p) => p.data) : null;
  let ink = inkComponents(strength, sheet.mask, level, width, height, span, rgb);
  // A stroke wider than the lighting window comes out as its outline or in pieces: where the digit found so far
  // (and a window's margin) holds such a dent, its inside is restored and the ink cut again (fillWideInk). The
  // restored digit may reach past that box (the piece found first was a fragment): then again, at most thrice.
  for (let round = 0, m = 2 * radius + 1; round < 3 && ink.choice; round++) {
    const { box: b } = ink.choice;
    const filledBox = { minX: b.minX - m, minY: b.minY - m, maxX: b.maxX + m, maxY: b.maxY + m };
    if (fillWideInk(planes[best].data, flats[best].paper, strength, width, height, radius, filledBox, { use: sheet.mask, minFill: WIDE_INK_SHARE * peak, boost, rim: { level, within: 2 * WIDE_INK_RADIUS_FACTOR * radius + 1 } }) === 0) break;
    ink = inkComponents(strength, sheet.mask, level, width, height, span, rgb);
    const c = ink.choice?.box;
    if (!c || (c.minX >= filledBox.minX && c.minY >= filledBox.minY && c.maxX <= filledBox.maxX && c.maxY <= filledBox.maxY)) break;
  }
  const { labels, components, measured, inkPixels, sheetArea, inner, lines, choice } = ink;
  const inkFraction = inkPixels / Math.max(1, sheetArea);
  const split: ThresholdSummary = { method: 'otsu', level: Math.round(level * 255) };
  const found = { ...base, threshold: split, inkFraction, components: components.length };
  if (inkFraction > o.maxInkFraction) return none('too-much-ink', `too much ink: ${percent(inkFraction)} of the sheet, at most ${percent(o.maxInkFraction)} (a dark object or the wrong polarity)`, found);
  const roiSide = Math.min(width, height);
  const digitStroke = choice ? choice.group[0].strokeWidth : null;
  const edgeKinds = measured.filter((m) => m.atEdge).map((m) => ({ m, kind: edgeKind(m, span, roiSide, digitStroke) }));
  if (!choice) {
    const cut = edgeKinds.find((e) => e.kind === 'cut');
    if (cut) return none('cut-by-edge', 'the digit touches the edge of the view or of the sheet: it is probably only partly in view', { ...found, bbox: toFrame(cut.m.c) });
    if (lines > 0) return none('ruled-lines', `only long thin lines (${lines}): ruled or squared paper with no digit on it`, found);
    if (edgeKinds.length > 0) return none('edge-object', `only something at the edge (${edgeKinds.length} object${edgeKinds.length > 1 ? 's' : ''}: a finger or thumb, the sheet's edge), no digit`, found);
    return none('too-little-ink', 'too little ink: nothing but specks', found);
  }
  const { box } = choice;
  const located = { ...found, bbox: toFrame(box) };
  // A digit cut by the edge falls apart into an edge piece and inner pieces: the inner ones are not the digit.
  const size = Math.max(box.maxX - box.minX + 1, box.maxY - box.minY + 1);
  for (const e of edgeKinds) {
    if (e.kind !== 'cut') continue;
    const gapX = Math.max(0, e.m.c.minX - box.maxX, box.minX - e.m.c.maxX);
    const gapY = Math.max(0, e.m.c.minY - box.maxY, box.minY - e.m.c.maxY);
    if (Math.max(gapX, gapY) <= 0.3 * size && e.m.c.area >= 0.3 * choice.area) {
      return none('cut-by-edge', 'the digit touches the edge of the view or of the sheet: it is probably only partly in view', { ...found, bbox: toFrame({ minX: Math.min(box.minX, e.m.c.minX), minY: Math.min(box.minY, e.m.c.minY), maxX: Math.max(box.maxX, e.m.c.maxX), maxY: Math.max(box.maxY, e.m.c.maxY) }) });
    }
  }
  const innerInk = inner.reduce((a, m) => a + m.c.area, 0);
  const share = choice.area / Math.max(1, innerInk);
  if (share < o.minDigitShare) {
    return none('fragmented', `ink is scattered: the digit-like group holds ${percent(share)} of the sheet's ink across ${inner.length} pieces (noise or several objects; need ${percent(o.minDigitShare)})`, located);
  }
  // A solid patch: it fills most of a box that is not thin (a '1' fills its thin box; a '0' or '8' half of theirs).
  const seed = choice.group[0].c;
  const seedW = seed.maxX - seed.minX + 1;
  const seedH = seed.maxY - seed.minY + 1;
  const fill = seed.area / (seedW * seedH);
  // A bold digit blurred by the camera can fill as much of its box, but its strokes stay narrow for its size;
  // a solid patch's "stroke" (2·area / boundary) is half its width or more.
  const thick = choice.group[0].strokeWidth / Math.min(seedW, seedH);
  if (fill > MAX_FILL && Math.min(seedW, seedH) >= 0.4 * Math.max(seedW, seedH) && thick > MAX_STROKE_SHARE && elongation(labels, seed, width) < MIN_STROKE_ELONGATION) {
    return none('blob', `a solid patch, not strokes: it fills ${percent(fill)} of its box (a digit fills under ${percent(MAX_FILL)}) and its stroke is ${percent(thick)} of its width (a digit's is under ${percent(MAX_STROKE_SHARE)})`, located);
  }
  if (choice.group.length > o.maxDigitPieces) {
    return none('fragmented', `the ink is texture, not a digit: ${choice.group.length} pieces close together (broken ruling, paper grain; at most ${o.maxDigitPieces})`, located);
  }
  if (choice.area < o.minInkFraction * width * height) return none('too-little-ink', `too little ink: ${percent(choice.area / (width * height))} of the view, need ${percent(o.minInkFraction)}`, located);
  if (size < o.minDigitSize * roiSide) {
    return none('too-small', `the digit is too small: ${percent(size / roiSide)} of the view's height, need ${percent(o.minDigitSize)}`, located);
  }

  // Where the shaping may find ink: the chosen components, grown by two work pixels.
  const chosen = new Uint8Array(components.length + 1);
  for (const m of choice.group) chosen[m.c.label] = 1;
  const gx0 = Math.max(0, box.minX - 3), gy0 = Math.max(0, box.minY - 3);
  const gw = Math.min(width - 1, box.maxX + 3) - gx0 + 1, gh = Math.min(height - 1, box.maxY + 3) - gy0 + 1;
  const near = new Float32Array(gw * gh);
  for (let y = 0; y < gh; y++) for (let x = 0; x < gw; x++) near[y * gw + x] = chosen[labels[(y + gy0) * width + x + gx0]];
  const grown = running2d(near, gw, gh, 2, true);
  const allowed = (x: number, y: number): boolean => {
    const wx = Math.floor((x - roi.x) * sx) - gx0;
    const wy = Math.floor((y - roi.y) * sy) - gy0;
    return wx >= 0 && wy >= 0 && wx < gw && wy < gh && grown[wy * gw + wx] > 0;
  };
  const glareAt = (x: number, y: number): number => {
    const wx = Math.min(width - 1, Math.max(0, Math.floor((x - roi.x) * sx)));
    const wy = Math.min(height - 1, Math.max(0, Math.floor((y - roi.y) * sy)));
    return boost[wy * width + wx];
  };
  const shaped = await shapeDigit(frame, roi, toFrame(box), allowed, glareAt, channel, polarity, o);
  if (!shaped) return none('too-little-ink', 'the digit vanished at full resolution (too faint)', located);
  return {
    kind: 'digit',
    pixels: shaped.pixels,
    geometry: {
      ...located, threshold: shaped.split.summary, bbox: shaped.bbox, digitShare: share, inkFill: fill, inkArea: choice.area / (width * height),
      centreOfMass: shaped.centreOfMass, centreOfMass28: shaped.centreOfMass28, box: shaped.box,
    },
  };
}
