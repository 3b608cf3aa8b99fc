import sharp from 'sharp';
import { IMAGE_SIZE, PIXELS } from '../data/index.js';
import type { Polarity, Rect } from './frame.js';

export type Range = readonly [number, number];

/** How a webcam sees a digit written on paper. Ranges are sampled uniformly per frame. */
export interface CameraLikeOptions {
  readonly width: number;
  readonly height: number;
  /** Height of the digit's ink as a fraction of the frame height. */
  readonly digitHeight: Range;
  readonly maxRotationDeg: number;
  /** Projective tilt: the far edge of the digit shrinks by up to this fraction relative to the near edge. */
  readonly perspective: number;
  /** Gray level of the lighter surface (paper, or chalk) and of the darker one (ink, or board) under full light. */
  readonly lightLevel: Range;
  readonly darkLevel: Range;
  readonly polarity: Polarity;
  /** Largest relative brightness change across the frame diagonal (a lamp to one side). */
  readonly lightGradient: number;
  /** Relative darkening at the frame corners (lens vignetting). */
  readonly vignette: Range;
  readonly blurSigma: Range;
  /** Gaussian sensor noise, gray levels. */
  readonly noiseSigma: Range;
  readonly jpegQuality: Range;
  /** Up to this many dust specks / pencil dots on the paper. */
  readonly maxSpecks: number;
  /** The digit stays inside the centre square of this fraction of min(width, height), with a small margin. */
  readonly placementFraction: number;
  /** Forces the digit's centre (frame pixels) instead of a random spot, e.g. to cut it by the frame edge. */
  readonly centre?: { readonly x: number; readonly y: number };
}

export const DEFAULT_CAMERA_LIKE: CameraLikeOptions = {
  width: 640,
  height: 480,
  digitHeight: [0.25, 0.6],
  maxRotationDeg: 10,
  perspective: 0.15,
  lightLevel: [165, 235],
  darkLevel: [15, 75],
  polarity: 'dark-on-light',
  lightGradient: 0.4,
  vignette: [0, 0.35],
  blurSigma: [0.6, 2.0],
  noiseSigma: [1.5, 7],
  jpegQuality: [45, 90],
  maxSpecks: 6,
  placementFraction: 1,
};

export interface SynthesisTruth {
  /** The digit's ink box in frame pixels (null for an empty frame). */
  readonly digitBox: Rect | null;
  readonly centre: { readonly x: number; readonly y: number } | null;
  readonly rotationDeg: number;
  readonly polarity: Polarity;
  readonly blurSigma: number;
  readonly noiseSigma: number;
  readonly jpegQuality: number;
}

export interface SynthesizedFrame {
  readonly gray: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** The JPEG the gray pixels were decoded from (what a webcam's MJPEG stream delivers). */
  readonly jpeg: Buffer;
  readonly truth: SynthesisTruth;
}

export const pick = (rng: () => number, [lo, hi]: Range): number => lo + (hi - lo) * rng();

/**
 * Adds sensor noise: each pixel gets the sum of the four bytes of one 32-bit draw, centred and scaled
 * (Irwin–Hall with n = 4: within 1 % of a Gaussian's spread, bounded at ±3.5σ). The draws come from an inline
 * xorshift32 seeded by one draw of `rng`, so the frame stays reproducible without a function call per pixel.
 */
export function addSensorNoise(pixels: Uint8Array, sigma: number, rng: () => number): void {
  const scale = sigma / Math.sqrt((4 * (256 * 256 - 1)) / 12);
  let state = ((rng() * 4294967296) >>> 0) | 1;
  for (let i = 0; i < pixels.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const bits = state >>> 0;
    const sum = (bits & 255) + ((bits >>> 8) & 255) + ((bits >>> 16) & 255) + (bits >>> 24);
    const v = pixels[i] + (sum - 510) * scale;
    pixels[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
  }
}

/** Ink box of a 28×28 digit in continuous pixel-edge coordinates. */
export function inkBox(digit: Uint8Array): { x0: number; y0: number; x1: number; y1: number } {
  let x0 = IMAGE_SIZE, y0 = IMAGE_SIZE, x1 = 0, y1 = 0;
  for (let y = 0; y < IMAGE_SIZE; y++) {
    for (let x = 0; x < IMAGE_SIZE; x++) {
      if (digit[y * IMAGE_SIZE + x] === 0) continue;
      if (x < x0) x0 = x;
      if (y < y0) y0 = y;
      if (x + 1 > x1) x1 = x + 1;
      if (y + 1 > y1) y1 = y + 1;
    }
  }
  if (x1 <= x0) throw new RangeError('synthesizeCameraFrame: the digit image has no ink (all 784 pixels are 0)');
  return { x0, y0, x1, y1 };
}

/** Digit plane → frame: scale, rotate, then a mild projective tilt, about the digit's ink centre. */
export class DigitPlacement {
  private readonly cos: number;
  private readonly sin: number;
  constructor(
    private readonly scale: number,
    angle: number,
    private readonly kx: number,
    private readonly ky: number,
    private readonly cu: number,
    private readonly cv: number,
    public cx = 0,
    public cy = 0,
  ) {
    this.cos = Math.cos(angle);
    this.sin = Math.sin(angle);
  }

  forward(u: number, v: number): [number, number] {
    const px = (u - this.cu) * this.scale;
    const py = (v - this.cv) * this.scale;
    const qx = this.cos * px - this.sin * py;
    const qy = this.sin * px + this.cos * py;
    const w = 1 + this.kx * qx + this.ky * qy;
    return [this.cx + qx / w, this.cy + qy / w];
  }

  /** Inverse of forward, written into out[0..1]: q = q' / (1 − k·q'), then un-rotate and un-scale. */
  inverseInto(x: number, y: number, out: Float64Array): void {
    const qx0 = x - this.cx;
    const qy0 = y - this.cy;
    const d = 1 - this.kx * qx0 - this.ky * qy0;
    const qx = qx0 / d;
    const qy = qy0 / d;
    out[0] = (this.cos * qx + this.sin * qy) / this.scale + this.cu;
    out[1] = (-this.sin * qx + this.cos * qy) / this.scale + this.cv;
  }

  boxOf(x0: number, y0: number, x1: number, y1: number): { minX: number; minY: number; maxX: number; maxY: number } {
    const corners = [this.forward(x0, y0), this.forward(x1, y0), this.forward(x0, y1), this.forward(x1, y1)];
    return {
      minX: Math.min(...corners.map((c) => c[0])), maxX: Math.max(...corners.map((c) => c[0])),
      minY: Math.min(...corners.map((c) => c[1])), maxY: Math.max(...corners.map((c) => c[1])),
    };
  }
}

function pixelOrZero(digit: Uint8Array, x: number, y: number): number {
  return x < 0 || y < 0 || x >= IMAGE_SIZE || y >= IMAGE_SIZE ? 0 : digit[y * IMAGE_SIZE + x];
}

function sampleBilinear(digit: Uint8Array, u: number, v: number): number {
  // Pixel i covers [i, i+1); its value sits at its centre.
  const x = u - 0.5;
  const y = v - 0.5;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const top = pixelOrZero(digit, x0, y0) * (1 - fx) + pixelOrZero(digit, x0 + 1, y0) * fx;
  const bottom = pixelOrZero(digit, x0, y0 + 1) * (1 - fx) + pixelOrZero(digit, x0 + 1, y0 + 1) * fx;
  return (top * (1 - fy) + bottom * fy) / 255;
}

/** MNIST strokes are blurry; real ink has a crisp edge. Sharpen the upscaled profile around its 50 % contour. */
function inkCoverage(a: number): number {
  const t = Math.min(1, Math.max(0, (a - 0.25) / 0.5));
  return t * t * (3 - 2 * t);
}

export function renderDigitCoverage(digit: Uint8Array, placement: DigitPlacement, width: number, height: number, coverage: Float32Array): void {
  const box = placement.boxOf(0, 0, IMAGE_SIZE, IMAGE_SIZE);
  const xa = Math.max(0, Math.floor(box.minX));
  const xb = Math.min(width - 1, Math.ceil(box.maxX));
  const ya = Math.max(0, Math.floor(box.minY));
  const yb = Math.min(height - 1, Math.ceil(box.maxY));
  const uv = new Float64Array(2);
  for (let y = ya; y <= yb; y++) {
    for (let x = xa; x <= xb; x++) {
      placement.inverseInto(x + 0.5, y + 0.5, uv);
      const u = uv[0];
      const v = uv[1];
      if (u < 0 || v < 0 || u > IMAGE_SIZE || v > IMAGE_SIZE) continue;
      coverage[y * width + x] = inkCoverage(sampleBilinear(digit, u, v));
    }
  }
}

export function paintSpecks(rng: () => number, maxSpecks: number, width: number, height: number, coverage: Float32Array): void {
  const count = Math.floor(rng() * (maxSpecks + 1));
  for (let s = 0; s < count; s++) {
    const cx = rng() * width;
    const cy = rng() * height;
    const r = 0.7 + 1.8 * rng();
    const strength = 0.3 + 0.4 * rng();
    for (let y = Math.max(0, Math.floor(cy - r - 1)); y <= Math.min(height - 1, Math.ceil(cy + r + 1)); y++) {
      for (let x = Math.max(0, Math.floor(cx - r - 1)); x <= Math.min(width - 1, Math.ceil(cx + r + 1)); x++) {
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        const c = strength * Math.min(1, Math.max(0, r + 0.5 - d));
        const i = y * width + x;
        if (c > coverage[i]) coverage[i] = c;
      }
    }
  }
}

/** Reflectance (paper blended toward ink by coverage) times illumination: a lamp gradient and lens vignetting. */
function renderLitScene(coverage: Float32Array, width: number, height: number, paper: number, ink: number, gradient: number, gradientAngle: number, vignette: number): Uint8Array {
  const gx = Math.cos(gradientAngle);
  const gy = Math.sin(gradientAngle);
  const halfDiagonal = Math.hypot(width, height) / 2;
  const invR2 = 1 / (halfDiagonal * halfDiagonal);
  const slope = gradient / (2 * halfDiagonal);
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const dy = y + 0.5 - height / 2;
    for (let x = 0; x < width; x++) {
      const dx = x + 0.5 - width / 2;
      const illumination = (1 + slope * (dx * gx + dy * gy)) * (1 - vignette * (dx * dx + dy * dy) * invR2);
      const i = y * width + x;
      const v = illumination * (paper + (ink - paper) * coverage[i]);
      pixels[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
    }
  }
  return pixels;
}

function checkRange(name: string, r: Range, min: number, max: number): void {
  if (!(r[0] <= r[1] && r[0] >= min && r[1] <= max)) throw new RangeError(`synthesizeCameraFrame: ${name} must be [lo, hi] within [${min}, ${max}], got [${r.join(', ')}]`);
}

function validate(o: CameraLikeOptions): void {
  if (!Number.isInteger(o.width) || !Number.isInteger(o.height) || o.width < 16 || o.height < 16) {
    throw new RangeError(`synthesizeCameraFrame: width and height must be integers ≥ 16, got ${o.width}×${o.height}`);
  }
  checkRange('digitHeight', o.digitHeight, 0.01, 2);
  checkRange('lightLevel', o.lightLevel, 0, 255);
  checkRange('darkLevel', o.darkLevel, 0, 255);
  checkRange('vignette', o.vignette, 0, 0.9);
  checkRange('blurSigma', o.blurSigma, 0, 50);
  checkRange('noiseSigma', o.noiseSigma, 0, 128);
  checkRange('jpegQuality', o.jpegQuality, 1, 100);
}

/**
 * Renders a 28×28 MNIST digit (or, with null, empty paper) as a webcam would see it, deterministically from `rng`:
 * off-centre, scaled, rotated, tilted, unevenly lit, blurred, noisy and JPEG-compressed.
 */
export async function synthesizeCameraFrame(digit: Uint8Array | null, rng: () => number, options: Partial<CameraLikeOptions> = {}): Promise<SynthesizedFrame> {
  const o: CameraLikeOptions = { ...DEFAULT_CAMERA_LIKE, ...options };
  validate(o);
  if (digit && digit.length !== PIXELS) throw new RangeError(`synthesizeCameraFrame: digit must have ${PIXELS} pixels (28×28), got ${digit.length}`);
  const { width, height } = o;
  const n = width * height;

  // Fixed draw order keeps a given seed's frame identical whatever options are overridden.
  const heightFraction = pick(rng, o.digitHeight);
  const angle = ((rng() * 2 - 1) * o.maxRotationDeg * Math.PI) / 180;
  const tiltX = (rng() * 2 - 1) * o.perspective;
  const tiltY = (rng() * 2 - 1) * o.perspective;
  const placeX = rng();
  const placeY = rng();
  const light = pick(rng, o.lightLevel);
  const dark = pick(rng, o.darkLevel);
  const gradient = rng() * o.lightGradient;
  const gradientAngle = rng() * 2 * Math.PI;
  const vignette = pick(rng, o.vignette);
  const blurSigma = pick(rng, o.blurSigma);
  const noiseSigma = pick(rng, o.noiseSigma);
  const jpegQuality = Math.round(pick(rng, o.jpegQuality));

  const coverage = new Float32Array(n);
  let digitBox: Rect | null = null;
  let centre: { x: number; y: number } | null = null;
  if (digit) {
    const ink = inkBox(digit);
    const targetHeight = heightFraction * height;
    const scale = targetHeight / (ink.y1 - ink.y0);
    const placement = new DigitPlacement(scale, angle, tiltX / targetHeight, tiltY / targetHeight, (ink.x0 + ink.x1) / 2, (ink.y0 + ink.y1) / 2);
    const rel = placement.boxOf(ink.x0, ink.y0, ink.x1, ink.y1);
    const side = Math.min(width, height) * o.placementFraction;
    const margin = 0.04 * side;
    const lowX = (width - side) / 2 + margin - rel.minX;
    const highX = (width + side) / 2 - margin - rel.maxX;
    const lowY = (height - side) / 2 + margin - rel.minY;
    const highY = (height + side) / 2 - margin - rel.maxY;
    placement.cx = o.centre?.x ?? (highX >= lowX ? lowX + (highX - lowX) * placeX : width / 2);
    placement.cy = o.centre?.y ?? (highY >= lowY ? lowY + (highY - lowY) * placeY : height / 2);
    centre = { x: placement.cx, y: placement.cy };
    const b = placement.boxOf(ink.x0, ink.y0, ink.x1, ink.y1);
    digitBox = { x: b.minX, y: b.minY, width: b.maxX - b.minX, height: b.maxY - b.minY };
    renderDigitCoverage(digit, placement, width, height, coverage);
  }
  paintSpecks(rng, o.maxSpecks, width, height, coverage);

  const [paper, ink] = o.polarity === 'dark-on-light' ? [light, dark] : [dark, light];
  const pixels = renderLitScene(coverage, width, height, paper, ink, gradient, gradientAngle, vignette);

  const raw = { raw: { width, height, channels: 1 as const } };
  const blurred = blurSigma >= 0.3 ? await sharp(pixels, raw).blur(blurSigma).toColourspace('b-w').raw().toBuffer() : Buffer.from(pixels);
  addSensorNoise(blurred, noiseSigma, rng);
  const jpeg = await sharp(blurred, raw).toColourspace('b-w').jpeg({ quality: jpegQuality, optimiseCoding: false }).toBuffer();
  const decoded = await sharp(jpeg).toColourspace('b-w').raw().toBuffer();
  return {
    gray: new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.length),
    width, height, jpeg,
    truth: { digitBox, centre, rotationDeg: (angle * 180) / Math.PI, polarity: o.polarity, blurSigma, noiseSigma, jpegQuality },
  };
}

/** One independent, reproducible random stream per (seed, frame index), so frame k never depends on frames before it. */
export function frameSeed(seed: number, index: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index >>> 0, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}
