/**
 * Independent camera-like photos of MNIST test digits — a held-out set for the recognizer.
 *
 * What: 640×480 JPEGs of handwritten digits as a person shows them to a laptop webcam or a phone: ink on paper in
 * 17 room conditions (shadows, lamps, tinted and ruled paper, coloured ink and pencil, thumbs at the edge, small or
 * off-centre digits, glare, motion blur, tilted sheets, low light, thick and thin strokes, mixes), plus blank sheets
 * (paper with no digit) in every condition. File names carry the label the way `edge-digits run --images` reads it:
 * `<condition>-<nn>-label<d>.jpg`, blanks `<condition>-blank-<nn>.jpg`. A manifest.json (version 1, see
 * docs/independent-photos.md) records each file's MNIST index and the conditions it was rendered with.
 *
 * Why independent: written by a helper engineer on 2026-12-02 WITHOUT reading the project's own camera synthesizer
 * or preprocessing (src/camera/, bench/camera.ts, scripts/make-camera-*.ts, test/camera-*.test.ts, docs/camera.md);
 * the recognizer was treated as a black box (its CLI only). Digits come from the END of the MNIST test set (indices
 * 9000–9999). This set must not be tuned on: see docs/independent-photos.md.
 *
 * Deterministic: one fixed seed (DEFAULT_SEED); every photo has its own PRNG stream derived from (seed, condition,
 * photo number), so a photo does not depend on which other photos are rendered. Given the same sharp/libvips build
 * the bytes are identical run to run (test/independent-photos.test.ts checks that).
 *
 * Run:  npx tsx bench/independent-photos/make.ts --out /tmp/independent-photos        (all conditions, 40 + 10 each)
 *       npx tsx bench/independent-photos/make.ts --out DIR --conditions plain,glare --count 5 --blanks 2
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp, { type Sharp } from 'sharp';
// mixSeed seeds one photo's PRNG stream: the project's 32-bit mix (murmur3's finaliser, the one the trainer uses).
import { createRng, loadDigitSet, mixSeed, type DigitSet } from '../../src/data/index.js';
import { writeFileAtomic } from '../../src/files/index.js';

export const FRAME_WIDTH = 640;
export const FRAME_HEIGHT = 480;
/** The set's seed: chosen once (the date, 2026-12-02), never changed after looking at results. */
export const DEFAULT_SEED = 20261202;
export const DEFAULT_COUNT = 40;
export const DEFAULT_BLANKS = 10;
/** Digits are drawn from MNIST test indices FIRST_INDEX..FIRST_INDEX+999 (the end of the test set). */
export const FIRST_INDEX = 9000;
export const POOL_SIZE = 1000;
export const MANIFEST_VERSION = 1;

export const CONDITIONS = [
  'plain', 'shadow', 'lamp', 'tinted', 'ink', 'small-sheet', 'ruled', 'finger', 'small-digit', 'off-centre',
  'glare', 'motion-blur', 'tilt', 'low-light', 'marker-thick', 'pen-thin', 'mixed',
] as const;
export type Condition = (typeof CONDITIONS)[number];

/** The single effects `mixed` combines (every condition but plain and mixed). */
type Effect = Exclude<Condition, 'plain' | 'mixed'>;
const EFFECTS: readonly Effect[] = CONDITIONS.filter((c): c is Effect => c !== 'plain' && c !== 'mixed');
/** Effects that cannot hold at once (a digit is small or mid-sized; a stroke thick or thin; a sheet flat or tilted). */
const EXCLUSIVE: readonly (readonly Effect[])[] = [['small-digit', 'off-centre'], ['marker-thick', 'pen-thin'], ['small-sheet', 'tilt']];

type Rgb = readonly [number, number, number];

// ───────────────────────────── randomness ─────────────────────────────

export class Rng {
  /** The project's mulberry32 (src/data): the same on every platform. */
  readonly next: () => number;
  constructor(seed: number) { this.next = createRng(seed); }
  uniform(lo: number, hi: number): number { return lo + (hi - lo) * this.next(); }
  int(lo: number, hiInclusive: number): number { return lo + Math.floor(this.next() * (hiInclusive - lo + 1)); }
  chance(p: number): boolean { return this.next() < p; }
  pick<T>(items: readonly T[]): T { return items[Math.floor(this.next() * items.length)]; }
  private spare: number | null = null;
  /** Standard normal (Box–Muller; the pair's second value is kept for the next call — noise needs ~1M a photo). */
  gauss(): number {
    if (this.spare !== null) { const s = this.spare; this.spare = null; return s; }
    const r = Math.sqrt(-2 * Math.log(Math.max(this.next(), 1e-12))), a = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(a);
    return r * Math.cos(a);
  }
}

/** Hash of a lattice point → [0,1): the basis of the textures (paper fibre, wood grain, pencil grain). */
function hash2(ix: number, iy: number, seed: number): number {
  let h = Math.imul(ix | 0, 0x27d4eb2d) ^ Math.imul(iy | 0, 0x165667b1) ^ seed;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Smooth value noise in [0,1). */
function valueNoise(x: number, y: number, seed: number): number {
  const ix = Math.floor(x), iy = Math.floor(y);
  const fx = x - ix, fy = y - iy;
  const sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy);
  const a = hash2(ix, iy, seed), b = hash2(ix + 1, iy, seed), c = hash2(ix, iy + 1, seed), d = hash2(ix + 1, iy + 1, seed);
  return a + (b - a) * sx + (c - a) * sy + (a - b - c + d) * sx * sy;
}

function fbm(x: number, y: number, seed: number, octaves: number): number {
  let sum = 0, amp = 0.5, norm = 0;
  for (let o = 0; o < octaves; o++) {
    sum += amp * valueNoise(x, y, seed + o * 1013);
    norm += amp;
    x *= 2.03; y *= 2.03; amp *= 0.5;
  }
  return sum / norm;
}

function smoothstep(lo: number, hi: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - lo) / (hi - lo)));
  return t * t * (3 - 2 * t);
}

function clamp01(x: number): number { return x < 0 ? 0 : x > 1 ? 1 : x; }

// ───────────────────────────── geometry ─────────────────────────────

/** 3×3 row-major homography. */
type Mat3 = readonly number[];

function mul3(a: Mat3, b: Mat3): number[] {
  const r = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) r[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return r;
}

function inv3(m: Mat3): number[] {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (Math.abs(det) < 1e-12) throw new Error('singular homography');
  return [A / det, -(b * i - c * h) / det, (b * f - c * e) / det,
    B / det, (a * i - c * g) / det, -(a * f - c * d) / det,
    C / det, -(a * h - b * g) / det, (a * e - b * d) / det];
}

function apply3(m: Mat3, x: number, y: number): [number, number] {
  const w = m[6] * x + m[7] * y + m[8];
  return [(m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w];
}

/** Paper (u,v) → frame: rotate by `angle` about the paper centre and put that centre at (cx, cy). */
function similarity(cx: number, cy: number, angle: number, w: number, h: number): number[] {
  const c = Math.cos(angle), s = Math.sin(angle);
  return mul3([c, -s, cx, s, c, cy, 0, 0, 1], [1, 0, -w / 2, 0, 1, -h / 2, 0, 0, 1]);
}

/**
 * Paper (u,v) → frame for a sheet seen at `tilt` radians about an in-plane axis at angle `axis`, by a pinhole camera
 * (focal length ≈ a 60° webcam). At the paper centre one paper unit is one frame pixel.
 */
function perspective(tilt: number, axis: number, roll: number, cx: number, cy: number, w: number, h: number): number[] {
  const f = 560;
  const ax = Math.cos(axis), ay = Math.sin(axis);
  const c = Math.cos(tilt), s = Math.sin(tilt), t = 1 - c;
  // Rodrigues' rotation about (ax, ay, 0); only the first two columns are needed for a plane.
  const r11 = c + ax * ax * t, r12 = ax * ay * t, r21 = ax * ay * t, r22 = c + ay * ay * t, r31 = -ay * s, r32 = ax * s;
  const cr = Math.cos(roll), sr = Math.sin(roll);
  const rot = [cr * r11 - sr * r21, cr * r12 - sr * r22, 0, sr * r11 + cr * r21, sr * r12 + cr * r22, 0, r31, r32, 0];
  const planeToCamera = [rot[0], rot[1], 0, rot[3], rot[4], 0, rot[6], rot[7], f]; // [r1 r2 t], t = (0, 0, f)
  const k = [f, 0, cx, 0, f, cy, 0, 0, 1];
  return mul3(mul3(k, planeToCamera), [1, 0, -w / 2, 0, 1, -h / 2, 0, 0, 1]);
}

// ───────────────────────────── scene description ─────────────────────────────

interface Ruling { readonly squared: boolean; readonly spacing: number; readonly offset: number; readonly rgb: Rgb; readonly width: number; readonly strength: number; readonly margin: { readonly u: number; readonly rgb: Rgb } | null }
interface Background { readonly kind: 'desk' | 'wall' | 'dark'; readonly rgb: Rgb; readonly grainAngle: number; readonly seed: number }
interface Ink { readonly rgb: Rgb; readonly strength: number; readonly lo: number; readonly hi: number; readonly grow: number; readonly ridge: number | null; readonly grain: boolean; readonly name: string }
interface Finger { readonly ax: number; readonly ay: number; readonly bx: number; readonly by: number; readonly r: number; readonly skin: Rgb; readonly nail: boolean }
interface Glare { readonly x: number; readonly y: number; readonly sx: number; readonly sy: number; readonly angle: number; readonly peak: number }
interface Lamp { readonly x: number; readonly y: number; readonly d0: number; readonly gmin: number; readonly gmax: number }
interface ShadowShape { readonly kind: 'phone' | 'hand'; readonly ex: number; readonly ey: number; readonly px: number; readonly py: number; readonly width: number; readonly softness: number; readonly depth: number }
/** Where the digit goes, in paper units: the centre of its ink box, paper units per MNIST pixel, rotation. */
interface Placement { readonly u: number; readonly v: number; readonly scale: number; readonly angle: number }

export interface Scene {
  readonly effects: readonly Effect[];
  /** Whether the sheet's edge is in view (a held sheet, a tilted one) rather than paper filling the frame. */
  readonly sheetVisible: boolean;
  readonly paperW: number;
  readonly paperH: number;
  readonly paperToFrame: Mat3;
  readonly paperRgb: Rgb;
  readonly paperKind: string;
  readonly recycled: boolean;
  readonly ruling: Ruling | null;
  readonly background: Background;
  readonly placement: Placement;
  readonly ink: Ink;
  readonly fingers: readonly Finger[];
  readonly glare: Glare | null;
  readonly lamp: Lamp | null;
  readonly shadow: ShadowShape | null;
  readonly vignette: number;
  readonly exposure: number;
  readonly whiteBalance: Rgb;
  readonly lowLight: { readonly dim: number; readonly target: number } | null;
  readonly defocus: number;
  readonly motion: { readonly length: number; readonly angle: number } | null;
  readonly jpegQuality: number;
  readonly textureSeed: number;
}

/** The ink box of an MNIST digit (pixels > 30 % coverage), in MNIST pixel units. */
export interface InkBox { readonly cx: number; readonly cy: number; readonly w: number; readonly h: number }

export function inkBox(img: Uint8Array | null): InkBox {
  if (img === null) return { cx: 14, cy: 14, w: 14, h: 20 }; // a blank sheet: where a typical digit would be
  let top = 28, bottom = -1, left = 28, right = -1;
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
    if (img[y * 28 + x] > 77) { top = Math.min(top, y); bottom = Math.max(bottom, y); left = Math.min(left, x); right = Math.max(right, x); }
  }
  if (bottom < 0) return { cx: 14, cy: 14, w: 14, h: 20 };
  return { cx: (left + right + 1) / 2, cy: (top + bottom + 1) / 2, w: right + 1 - left, h: bottom + 1 - top };
}

function pickEffects(condition: Condition, rng: Rng): Effect[] {
  if (condition === 'plain') return [];
  if (condition !== 'mixed') return [condition];
  const n = rng.chance(0.5) ? 2 : 3;
  const chosen: Effect[] = [];
  while (chosen.length < n) {
    const e = rng.pick(EFFECTS);
    if (chosen.includes(e)) continue;
    if (EXCLUSIVE.some((g) => g.includes(e) && g.some((o) => o !== e && chosen.includes(o)))) continue;
    chosen.push(e);
  }
  return chosen.sort();
}

const WHITE_PAPERS: readonly Rgb[] = [[246, 245, 240], [250, 249, 246], [242, 240, 232], [247, 246, 249]];
const TINTED_PAPERS: readonly { name: string; rgb: Rgb; recycled: boolean }[] = [
  { name: 'yellow', rgb: [250, 238, 158], recycled: false },
  { name: 'pink', rgb: [250, 208, 218], recycled: false },
  { name: 'light-blue', rgb: [203, 224, 246], recycled: false },
  { name: 'recycled-gray', rgb: [206, 203, 192], recycled: true },
];
const EVERYDAY_INKS: readonly { name: string; rgb: Rgb; strength: number }[] = [
  { name: 'black-felt', rgb: [22, 22, 28], strength: 0.93 },
  { name: 'black-ballpoint', rgb: [34, 34, 52], strength: 0.86 },
  { name: 'blue-ballpoint', rgb: [30, 42, 120], strength: 0.86 },
];
const COLOURED_INKS: readonly { name: string; rgb: Rgb; strength: number }[] = [
  { name: 'blue', rgb: [28, 60, 175], strength: 0.86 },
  { name: 'red', rgb: [190, 32, 38], strength: 0.86 },
  { name: 'green', rgb: [28, 122, 62], strength: 0.86 },
  { name: 'pencil', rgb: [92, 92, 98], strength: 0 }, // strength drawn per photo
];
const SKIN: readonly Rgb[] = [[236, 200, 180], [224, 174, 142], [198, 142, 106], [160, 106, 76], [116, 76, 54], [86, 57, 42]];

function drawInk(effects: readonly Effect[], rng: Rng): Ink {
  // lo/hi: the coverage band of the upscaled MNIST digit that becomes the stroke edge (a pen's edge is sharper than
  // MNIST's anti-aliasing); grow: a blur in MNIST pixels before that band, which widens the stroke (a marker);
  // ridge: keep only what is within this fraction of the local stroke peak — a thin line along every stroke's
  // middle that stays connected where MNIST's stroke is faint (a plain high threshold would break it into dots).
  let lo = 0.3, hi = 0.6, grow = 0, ridge: number | null = null;
  if (effects.includes('marker-thick')) { grow = rng.uniform(0.7, 1.3); lo = rng.uniform(0.06, 0.1); hi = lo + 0.12; }
  if (effects.includes('pen-thin')) ridge = rng.uniform(0.72, 0.85);
  if (effects.includes('ink')) {
    const ink = rng.pick(COLOURED_INKS);
    if (ink.name === 'pencil') {
      // Graphite: lighter, grainy, and thinner than the pen strokes (unless a thick stroke was asked for too).
      return { rgb: ink.rgb, strength: rng.uniform(0.45, 0.65), lo, hi, grow, ridge: ridge ?? (grow > 0 ? null : rng.uniform(0.55, 0.7)), grain: true, name: ink.name };
    }
    return { rgb: ink.rgb, strength: ink.strength * rng.uniform(0.95, 1.05), lo, hi, grow, ridge, grain: false, name: ink.name };
  }
  const ink = rng.pick(EVERYDAY_INKS);
  return { rgb: ink.rgb, strength: Math.min(0.97, ink.strength * rng.uniform(0.97, 1.04)), lo, hi, grow, ridge, grain: false, name: ink.name };
}

function drawBackground(rng: Rng): Background {
  const kind = rng.pick(['desk', 'wall', 'dark'] as const);
  const rgb: Rgb = kind === 'desk' ? rng.pick<Rgb>([[152, 102, 62], [184, 138, 92], [112, 76, 46], [204, 172, 132]])
    : kind === 'wall' ? rng.pick<Rgb>([[200, 196, 186], [172, 180, 186], [214, 204, 180], [150, 150, 152]])
      : rng.pick<Rgb>([[26, 24, 22], [36, 34, 40], [18, 18, 20]]);
  return { kind, rgb, grainAngle: rng.uniform(0, Math.PI), seed: rng.int(1, 1 << 30) };
}

const MARGIN = 8;

/** The four corners of the digit's ink box, in frame pixels. */
function inkCorners(box: InkBox, p: Placement, h: Mat3): [number, number][] {
  const c = Math.cos(p.angle), s = Math.sin(p.angle);
  const out: [number, number][] = [];
  for (const [dx, dy] of [[-1, -1], [1, -1], [1, 1], [-1, 1]]) {
    const ox = dx * box.w / 2 * p.scale, oy = dy * box.h / 2 * p.scale;
    out.push(apply3(h, p.u + c * ox - s * oy, p.v + s * ox + c * oy));
  }
  return out;
}

function insideFrame(pts: readonly [number, number][], margin: number): boolean {
  return pts.every(([x, y]) => x >= margin && x <= FRAME_WIDTH - margin && y >= margin && y <= FRAME_HEIGHT - margin);
}

function insidePaper(box: InkBox, p: Placement, w: number, h: number, margin: number): boolean {
  return inkCorners(box, p, [1, 0, 0, 0, 1, 0, 0, 0, 1]).every(([u, v]) => u >= margin && u <= w - margin && v >= margin && v <= h - margin);
}

interface Geometry { paperW: number; paperH: number; paperToFrame: number[]; placement: Placement; sheetVisible: boolean }

/** Sheet pose and digit placement; retried until the digit is wholly on the sheet and in the frame. */
function drawGeometry(effects: readonly Effect[], box: InkBox, rng: Rng): Geometry {
  const has = (e: Effect): boolean => effects.includes(e);
  for (let attempt = 0; attempt < 400; attempt++) {
    let paperW: number, paperH: number, h: number[];
    let sheetVisible = false;
    let digitHeight: number; // frame pixels at the sheet's scale
    if (has('small-sheet') || (has('finger') && rng.chance(0.5))) {
      // A sheet held up in front of a desk, wall or dark room. small-sheet: 30–60 % of the frame; a finger
      // condition's sheet: 65–85 % (the hand holds the sheet's edge, which is then in view).
      const area = (has('small-sheet') ? rng.uniform(0.3, 0.6) : rng.uniform(0.65, 0.85)) * FRAME_WIDTH * FRAME_HEIGHT;
      const aspect = rng.pick([1.414, 1.294, 1.0]);
      const landscape = rng.chance(0.6);
      const long = Math.sqrt(area * aspect), short = area / long;
      paperW = landscape ? long : short; paperH = landscape ? short : long;
      const angle = (rng.uniform(-15, 15) * Math.PI) / 180;
      h = similarity(FRAME_WIDTH / 2 + rng.uniform(-0.2, 0.2) * (FRAME_WIDTH - paperW), FRAME_HEIGHT / 2 + rng.uniform(-0.2, 0.2) * Math.max(0, FRAME_HEIGHT - paperH), angle, paperW, paperH);
      digitHeight = rng.uniform(0.35, 0.55) * Math.min(paperW, paperH, FRAME_HEIGHT);
      sheetVisible = true;
    } else if (has('tilt')) {
      paperW = 1000; paperH = 800;
      const tilt = (rng.uniform(20, 40) * Math.PI) / 180;
      h = perspective(tilt, rng.uniform(0, Math.PI), (rng.uniform(-6, 6) * Math.PI) / 180, FRAME_WIDTH / 2 + rng.uniform(-20, 20), FRAME_HEIGHT / 2 + rng.uniform(-15, 15), paperW, paperH);
      digitHeight = rng.uniform(0.3, 0.45) * FRAME_HEIGHT;
      sheetVisible = true;
    } else {
      // Paper filling the frame, held nearly square to the camera.
      paperW = 760; paperH = 580;
      h = similarity(FRAME_WIDTH / 2 + rng.uniform(-10, 10), FRAME_HEIGHT / 2 + rng.uniform(-8, 8), (rng.uniform(-2.5, 2.5) * Math.PI) / 180, paperW, paperH);
      digitHeight = rng.uniform(0.3, 0.5) * FRAME_HEIGHT;
    }
    if (has('small-digit')) digitHeight = rng.uniform(0.12, 0.2) * FRAME_HEIGHT;
    if (has('off-centre')) digitHeight = rng.uniform(0.25, 0.4) * FRAME_HEIGHT;
    const scale = digitHeight / box.h;
    const angle = (rng.uniform(-5, 5) * Math.PI) / 180;
    const hinv = inv3(h);
    let u: number, v: number;
    if (has('small-digit') || has('off-centre')) {
      // Anywhere the whole digit fits: uniform over the frame, then onto the sheet.
      [u, v] = apply3(hinv, rng.uniform(0, FRAME_WIDTH), rng.uniform(0, FRAME_HEIGHT));
    } else if (sheetVisible && !has('tilt')) {
      u = paperW / 2 + rng.uniform(-0.06, 0.06) * paperW; v = paperH / 2 + rng.uniform(-0.06, 0.06) * paperH;
    } else {
      [u, v] = apply3(hinv, FRAME_WIDTH / 2 + rng.uniform(-18, 18), FRAME_HEIGHT / 2 + rng.uniform(-14, 14));
    }
    const placement = { u, v, scale, angle };
    if (!insidePaper(box, placement, paperW, paperH, 0.04 * Math.min(paperW, paperH))) continue;
    if (!insideFrame(inkCorners(box, placement, h), MARGIN)) continue;
    return { paperW, paperH, paperToFrame: h, placement, sheetVisible };
  }
  throw new Error(`no placement found for effects [${effects.join(', ')}] in 400 attempts`);
}

/** Thumb or fingers holding the sheet: capsules entering from the sheet's edge (or the frame's, paper filling it). */
function drawFingers(g: Geometry, box: InkBox, rng: Rng): Finger[] {
  const corners = inkCorners(box, g.placement, g.paperToFrame);
  const bx0 = Math.min(...corners.map((p) => p[0])), bx1 = Math.max(...corners.map((p) => p[0]));
  const by0 = Math.min(...corners.map((p) => p[1])), by1 = Math.max(...corners.map((p) => p[1]));
  const distToBox = (x: number, y: number): number => Math.hypot(Math.max(bx0 - x, 0, x - bx1), Math.max(by0 - y, 0, y - by1));
  // Where the hand comes from: a point on the sheet edge (in frame pixels) and the inward direction.
  let ex: number, ey: number, nx: number, ny: number;
  const side = rng.pick(['left', 'right', 'bottom', 'bottom', 'left', 'right', 'top'] as const);
  if (g.sheetVisible) {
    const t = rng.uniform(0.2, 0.8);
    const [pu, pv] = side === 'left' ? [0, t * g.paperH] : side === 'right' ? [g.paperW, t * g.paperH] : side === 'top' ? [t * g.paperW, 0] : [t * g.paperW, g.paperH];
    [ex, ey] = apply3(g.paperToFrame, pu, pv);
    const [cx, cy] = apply3(g.paperToFrame, g.paperW / 2, g.paperH / 2);
    const len = Math.hypot(cx - ex, cy - ey);
    nx = (cx - ex) / len; ny = (cy - ey) / len;
  } else {
    const t = rng.uniform(0.15, 0.85);
    [ex, ey, nx, ny] = side === 'left' ? [0, t * FRAME_HEIGHT, 1, 0] : side === 'right' ? [FRAME_WIDTH, t * FRAME_HEIGHT, -1, 0]
      : side === 'top' ? [t * FRAME_WIDTH, 0, 0, 1] : [t * FRAME_WIDTH, FRAME_HEIGHT, 0, -1];
  }
  const turn = (rng.uniform(-25, 25) * Math.PI) / 180;
  [nx, ny] = [Math.cos(turn) * nx - Math.sin(turn) * ny, Math.sin(turn) * nx + Math.cos(turn) * ny];
  const skin = rng.pick(SKIN);
  const r0 = rng.uniform(16, 30);
  const close = rng.chance(0.4);
  const count = rng.chance(0.5) ? 1 : rng.int(2, 4);
  const fingers: Finger[] = [];
  for (let i = 0; i < count; i++) {
    const r = count === 1 ? r0 : r0 * rng.uniform(0.75, 0.9);
    const off = (i - (count - 1) / 2) * 2.05 * r;
    const sx = ex - ny * off, sy = ey + nx * off; // side by side along the edge
    const ax = sx - nx * 3 * r, ay = sy - ny * 3 * r; // the finger starts off the sheet
    // A finger reaches at most ~2.5 finger-widths past the sheet edge. Walk the tip in until it comes within a gap of
    // the ink (a close finger) or reaches its length; it never covers the ink.
    const reach = close ? 5 * r : rng.uniform(1.2, 4) * r;
    const gap = close ? rng.uniform(6, 28) : 12;
    let len = 0;
    while (len < reach && distToBox(sx + nx * (len + 2), sy + ny * (len + 2)) > r + gap) len += 2;
    len = Math.max(len, 10);
    fingers.push({ ax, ay, bx: sx + nx * len, by: sy + ny * len, r, skin, nail: rng.chance(0.5) });
  }
  return fingers;
}

function drawShadow(corners: readonly [number, number][], rng: Rng): ShadowShape {
  const xs = corners.map((p) => p[0]), ys = corners.map((p) => p[1]);
  const dcx = (Math.min(...xs) + Math.max(...xs)) / 2, dcy = (Math.min(...ys) + Math.max(...ys)) / 2;
  const dh = Math.max(...ys) - Math.min(...ys);
  const side = rng.pick(['left', 'right', 'bottom', 'top'] as const);
  const t = rng.uniform(0.1, 0.9);
  const [ex, ey] = side === 'left' ? [-40, t * FRAME_HEIGHT] : side === 'right' ? [FRAME_WIDTH + 40, t * FRAME_HEIGHT]
    : side === 'top' ? [t * FRAME_WIDTH, -40] : [t * FRAME_WIDTH, FRAME_HEIGHT + 40];
  // The shadow's far end: somewhere around the digit, so it crosses the strokes in some photos and not in others.
  const px = dcx + rng.uniform(-0.9, 0.9) * dh, py = dcy + rng.uniform(-0.9, 0.9) * dh;
  const kind = rng.chance(0.5) ? 'phone' : 'hand';
  return { kind, ex, ey, px, py, width: kind === 'phone' ? rng.uniform(90, 150) : rng.uniform(130, 200), softness: rng.uniform(8, 30), depth: rng.uniform(20, 60) };
}

export function drawScene(condition: Condition, digit: Uint8Array | null, rng: Rng): Scene {
  const effects = pickEffects(condition, rng);
  const has = (e: Effect): boolean => effects.includes(e);
  const box = inkBox(digit);
  const g = drawGeometry(effects, box, rng);
  let paperRgb: Rgb = rng.pick(WHITE_PAPERS), paperKind = 'white', recycled = false;
  if (has('tinted')) { const p = rng.pick(TINTED_PAPERS); paperRgb = p.rgb; paperKind = p.name; recycled = p.recycled; }
  paperRgb = paperRgb.map((c) => Math.min(255, c * rng.uniform(0.98, 1.01))) as unknown as Rgb;
  let ruling: Ruling | null = null;
  if (has('ruled')) {
    const squared = rng.chance(0.4);
    const spacing = squared ? rng.uniform(14, 24) : rng.uniform(22, 36);
    ruling = {
      squared, spacing, offset: rng.uniform(0, spacing),
      rgb: rng.pick<Rgb>([[120, 160, 215], [150, 180, 220], [150, 152, 160], [110, 140, 200]]),
      width: rng.uniform(1, 2.2), strength: rng.uniform(0.45, 0.9),
      margin: !squared && rng.chance(0.6) ? { u: rng.uniform(0.08, 0.35) * g.paperW, rgb: [215, 90, 95] } : null,
    };
  }
  const corners = inkCorners(box, g.placement, g.paperToFrame);
  let glare: Glare | null = null;
  if (has('glare')) {
    const xs = corners.map((p) => p[0]), ys = corners.map((p) => p[1]);
    glare = {
      x: rng.uniform(Math.min(...xs), Math.max(...xs)), y: rng.uniform(Math.min(...ys), Math.max(...ys)),
      sx: rng.uniform(15, 60), sy: rng.uniform(12, 45), angle: rng.uniform(0, Math.PI), peak: rng.uniform(110, 220),
    };
  }
  let lamp: Lamp | null = null;
  if (has('lamp')) {
    const a = rng.uniform(0, 2 * Math.PI), d = rng.uniform(380, 650);
    lamp = { x: FRAME_WIDTH / 2 + Math.cos(a) * d, y: FRAME_HEIGHT / 2 + Math.sin(a) * d, d0: rng.uniform(150, 400), gmin: rng.uniform(0.3, 0.55), gmax: rng.uniform(1.0, 1.2) };
  }
  const lowLight = has('low-light') ? { dim: rng.uniform(0.1, 0.2), target: rng.uniform(80, 140) } : null;
  const warm = lowLight !== null || (lamp !== null && rng.chance(0.7));
  const whiteBalance: Rgb = warm ? [rng.uniform(1.03, 1.08), 1, rng.uniform(0.84, 0.93)] : [rng.uniform(0.97, 1.03), 1, rng.uniform(0.96, 1.04)];
  return {
    effects, sheetVisible: g.sheetVisible, paperW: g.paperW, paperH: g.paperH, paperToFrame: g.paperToFrame, paperRgb, paperKind, recycled, ruling,
    background: drawBackground(rng), placement: g.placement, ink: drawInk(effects, rng),
    fingers: has('finger') ? drawFingers(g, box, rng) : [], glare, lamp,
    shadow: has('shadow') ? drawShadow(corners, rng) : null,
    vignette: has('lamp') ? rng.uniform(0.3, 0.55) : rng.uniform(0.04, 0.18),
    exposure: rng.uniform(0.84, 1.0), whiteBalance, lowLight,
    defocus: rng.uniform(0.5, 1.2),
    motion: has('motion-blur') ? { length: rng.uniform(3, 12), angle: rng.uniform(0, Math.PI) } : null,
    jpegQuality: lowLight !== null ? rng.int(60, 80) : rng.int(60, 90),
    textureSeed: rng.int(1, 1 << 30),
  };
}

// ───────────────────────────── rendering ─────────────────────────────

/** One channel out: sharp turns a 1-channel raw input into sRGB (3 channels) on output unless told otherwise. */
async function grayBytes(img: Sharp): Promise<Buffer> {
  const { data, info } = await img.extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`expected 1 channel from sharp, got ${info.channels}`);
  return data;
}

/** The digit's ink coverage (0..1) at `k` canvas pixels per MNIST pixel, padded by PAD MNIST pixels on each side. */
const PAD = 3;
async function inkCanvas(digit: Uint8Array, ink: Ink, k: number): Promise<{ data: Float32Array; size: number }> {
  const n = 28 + 2 * PAD;
  const padded = Buffer.alloc(n * n);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) padded[(y + PAD) * n + x + PAD] = digit[y * 28 + x];
  const size = n * k;
  // Smooth upscaling (Catmull-Rom), never nearest-neighbour: MNIST's pixels are an anti-aliased pen trace.
  let img = sharp(padded, { raw: { width: n, height: n, channels: 1 } }).resize(size, size, { kernel: 'cubic' });
  if (ink.grow > 0) img = sharp(await grayBytes(img), { raw: { width: size, height: size, channels: 1 } }).blur(ink.grow * k);
  const up = await grayBytes(img);
  const data = new Float32Array(size * size);
  if (ink.ridge === null) {
    for (let i = 0; i < data.length; i++) data[i] = smoothstep(ink.lo, ink.hi, up[i] / 255);
  } else {
    const peak = maxFilter(up, size, Math.round(1.2 * k));
    for (let i = 0; i < data.length; i++) {
      const c = up[i] / 255;
      data[i] = smoothstep(ink.ridge, ink.ridge + 0.08, c / Math.max(peak[i] / 255, 0.25)) * smoothstep(0.12, 0.25, c);
    }
  }
  return { data, size };
}

/** Square-window maximum of radius r (separable: rows, then columns). */
function maxFilter(src: Uint8Array, size: number, r: number): Uint8Array {
  const rows = new Uint8Array(src.length), out = new Uint8Array(src.length);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    let m = 0;
    for (let d = Math.max(0, x - r); d <= Math.min(size - 1, x + r); d++) m = Math.max(m, src[y * size + d]);
    rows[y * size + x] = m;
  }
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    let m = 0;
    for (let d = Math.max(0, y - r); d <= Math.min(size - 1, y + r); d++) m = Math.max(m, rows[d * size + x]);
    out[y * size + x] = m;
  }
  return out;
}

function sampleBilinear(data: Float32Array, size: number, x: number, y: number): number {
  if (x < 0 || y < 0 || x >= size - 1 || y >= size - 1) return 0;
  const ix = x | 0, iy = y | 0, fx = x - ix, fy = y - iy;
  const i = iy * size + ix;
  const top = data[i] + (data[i + 1] - data[i]) * fx;
  const bottom = data[i + size] + (data[i + size + 1] - data[i + size]) * fx;
  return top + (bottom - top) * fy;
}

function backgroundAt(bg: Background, x: number, y: number): Rgb {
  if (bg.kind === 'desk') {
    const ca = Math.cos(bg.grainAngle), sa = Math.sin(bg.grainAngle);
    const along = x * ca + y * sa, across = -x * sa + y * ca;
    const rings = 0.5 + 0.5 * Math.sin(across * 0.12 + 7 * fbm(along / 160, across / 30, bg.seed, 3));
    const f = (0.8 + 0.25 * rings) * (0.95 + 0.1 * valueNoise(x / 3, y / 3, bg.seed + 7));
    return [bg.rgb[0] * f, bg.rgb[1] * f, bg.rgb[2] * f];
  }
  if (bg.kind === 'wall') {
    const f = 0.9 + 0.15 * fbm(x / 200, y / 200, bg.seed, 3) + 0.03 * (hash2(x, y, bg.seed) - 0.5);
    return [bg.rgb[0] * f, bg.rgb[1] * f, bg.rgb[2] * f];
  }
  // A dark room: dim, blurred shapes of furniture.
  const f = 0.6 + 1.0 * fbm(x / 120, y / 120, bg.seed, 2);
  return [bg.rgb[0] * f, bg.rgb[1] * f, bg.rgb[2] * f];
}

function distToSegment(px: number, py: number, f: Finger): { d: number; t: number } {
  const vx = f.bx - f.ax, vy = f.by - f.ay;
  const t = clamp01(((px - f.ax) * vx + (py - f.ay) * vy) / (vx * vx + vy * vy));
  return { d: Math.hypot(px - f.ax - t * vx, py - f.ay - t * vy), t };
}

/** A soft shadow mask (0..1) of a phone or a hand, rendered at quarter resolution and blurred by sharp. */
async function shadowMask(s: ShadowShape): Promise<{ data: Uint8Array; w: number; h: number }> {
  const q = 4, w = FRAME_WIDTH / q, h = FRAME_HEIGHT / q;
  const m = Buffer.alloc(w * h);
  const dx = s.px - s.ex, dy = s.py - s.ey, len = Math.hypot(dx, dy), ux = dx / len, uy = dy / len;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const fx = (x + 0.5) * q - s.ex, fy = (y + 0.5) * q - s.ey;
    const along = fx * ux + fy * uy, across = -fx * uy + fy * ux;
    let inside = false;
    if (s.kind === 'phone') {
      inside = along >= -200 && along <= len && Math.abs(across) <= s.width / 2;
    } else {
      // Palm (an ellipse ending 60 % of the way) and four fingers fanning out to the far end.
      const palmEnd = len * 0.6;
      inside = (along <= palmEnd && along >= -300 && Math.abs(across) <= s.width / 2)
        || ((along - palmEnd) / (s.width * 0.5)) ** 2 + (across / (s.width / 2)) ** 2 <= 1;
      for (let i = 0; i < 4 && !inside; i++) {
        const a = (-0.35 + (0.7 * i) / 3), fl = len - palmEnd + s.width * 0.1;
        const fxu = Math.cos(a), fyu = Math.sin(a);
        const lx = along - palmEnd, ly = across - (i - 1.5) * s.width * 0.22;
        const t = Math.max(0, Math.min(fl, lx * fxu + ly * fyu));
        if (Math.hypot(lx - t * fxu, ly - t * fyu) <= s.width * 0.1) inside = true;
      }
    }
    m[y * w + x] = inside ? 255 : 0;
  }
  const data = await grayBytes(sharp(m, { raw: { width: w, height: h, channels: 1 } }).blur(s.softness / q));
  return { data: new Uint8Array(data), w, h };
}

function sampleMask(mask: { data: Uint8Array; w: number; h: number }, x: number, y: number): number {
  const gx = Math.min(mask.w - 1.001, Math.max(0, x / 4 - 0.5)), gy = Math.min(mask.h - 1.001, Math.max(0, y / 4 - 0.5));
  const ix = gx | 0, iy = gy | 0, fx = gx - ix, fy = gy - iy, i = iy * mask.w + ix;
  const top = mask.data[i] + (mask.data[i + 1] - mask.data[i]) * fx;
  const bottom = mask.data[i + mask.w] + (mask.data[i + mask.w + 1] - mask.data[i + mask.w]) * fx;
  return (top + (bottom - top) * fy) / 255;
}

/** A linear motion-blur kernel: an anti-aliased line of `length` pixels at `angle`. */
function motionKernel(length: number, angle: number): { width: number; height: number; kernel: number[] } {
  const size = 2 * Math.ceil(length / 2) + 3;
  const c = (size - 1) / 2, ux = Math.cos(angle), uy = Math.sin(angle);
  const kernel: number[] = [];
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const px = x - c, py = y - c;
    const t = Math.max(-length / 2, Math.min(length / 2, px * ux + py * uy));
    const d = Math.hypot(px - t * ux, py - t * uy);
    kernel.push(Math.max(0, 1 - d));
  }
  return { width: size, height: size, kernel };
}

/** Renders one photo: the scene, then the camera (defocus, motion, sensor noise, JPEG). Returns the JPEG bytes. */
export async function renderPhoto(scene: Scene, digit: Uint8Array | null, rng: Rng): Promise<Buffer> {
  const W = FRAME_WIDTH, H = FRAME_HEIGHT;
  const rgb = new Float32Array(W * H * 3);
  const hinv = inv3(scene.paperToFrame);
  const p = scene.placement;
  // Canvas resolution: at least one canvas pixel per paper unit, so strokes are resampled, not blocky.
  const k = Math.max(2, Math.min(14, Math.ceil(p.scale)));
  const canvas = digit === null ? null : await inkCanvas(digit, scene.ink, k);
  const box = inkBox(digit);
  const cosA = Math.cos(-p.angle), sinA = Math.sin(-p.angle);
  const seed = scene.textureSeed;
  const ruling = scene.ruling;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const o = (y * W + x) * 3;
    const px = x + 0.5, py = y + 0.5, hw = hinv[6] * px + hinv[7] * py + hinv[8]; // apply3, inlined: 300k pixels
    const u = (hinv[0] * px + hinv[1] * py + hinv[2]) / hw, v = (hinv[3] * px + hinv[4] * py + hinv[5]) / hw;
    const edge = Math.min(u, scene.paperW - u, v, scene.paperH - v);
    const bg = edge < 1 ? backgroundAt(scene.background, x, y) : null;
    let r = 0, g = 0, b = 0;
    if (edge > -1) {
      // Paper: its colour, a faint cloudiness and fibre.
      let t = 1 + 0.03 * (fbm(u / 90, v / 90, seed, 2) - 0.5) + 0.02 * (hash2(Math.floor(u), Math.floor(v), seed) - 0.5);
      if (scene.recycled) {
        t += 0.04 * (valueNoise(u / 2.5, v / 2.5, seed + 3) - 0.5);
        if (hash2(Math.floor(u / 3), Math.floor(v / 3), seed + 5) > 0.994) t *= 0.82; // flecks
      }
      r = scene.paperRgb[0] * t; g = scene.paperRgb[1] * t; b = scene.paperRgb[2] * t;
      if (ruling !== null) {
        const lineCov = (coord: number): number => {
          const m = ((coord - ruling.offset) % ruling.spacing + ruling.spacing) % ruling.spacing;
          const d = Math.min(m, ruling.spacing - m);
          return clamp01(ruling.width / 2 + 0.5 - d);
        };
        let a = lineCov(v);
        if (ruling.squared) a = Math.max(a, lineCov(u));
        a *= ruling.strength;
        r += (ruling.rgb[0] - r) * a; g += (ruling.rgb[1] - g) * a; b += (ruling.rgb[2] - b) * a;
        if (ruling.margin !== null) {
          const am = clamp01(1.3 - Math.abs(u - ruling.margin.u)) * 0.85;
          r += (ruling.margin.rgb[0] - r) * am; g += (ruling.margin.rgb[1] - g) * am; b += (ruling.margin.rgb[2] - b) * am;
        }
      }
      if (canvas !== null) {
        // Paper unit → MNIST pixel (about the ink box centre, un-rotated) → canvas pixel.
        const du = u - p.u, dv = v - p.v;
        const mx = (cosA * du - sinA * dv) / p.scale + box.cx, my = (sinA * du + cosA * dv) / p.scale + box.cy;
        let c = sampleBilinear(canvas.data, canvas.size, (mx + PAD) * k - 0.5, (my + PAD) * k - 0.5);
        if (c > 0) {
          if (scene.ink.grain) c *= 0.45 + 0.55 * valueNoise(u / 1.3, v / 1.3, seed + 11); // graphite on paper tooth
          const a = c * scene.ink.strength;
          // MNIST's value is ink coverage: paper × (1 − coverage·strength) + ink colour × coverage·strength.
          r = r * (1 - a) + scene.ink.rgb[0] * a; g = g * (1 - a) + scene.ink.rgb[1] * a; b = b * (1 - a) + scene.ink.rgb[2] * a;
        }
      }
      if (bg !== null) { // anti-aliased sheet edge
        const a = clamp01((edge + 1) / 2);
        r = bg[0] + (r - bg[0]) * a; g = bg[1] + (g - bg[1]) * a; b = bg[2] + (b - bg[2]) * a;
      }
    } else if (bg !== null) {
      [r, g, b] = bg;
    }
    rgb[o] = r; rgb[o + 1] = g; rgb[o + 2] = b;
  }
  // Fingers in front of the sheet, each with a soft contact shadow on what is behind it.
  for (const f of scene.fingers) {
    const x0 = Math.max(0, Math.floor(Math.min(f.ax, f.bx) - f.r - 14)), x1 = Math.min(W - 1, Math.ceil(Math.max(f.ax, f.bx) + f.r + 14));
    const y0 = Math.max(0, Math.floor(Math.min(f.ay, f.by) - f.r - 14)), y1 = Math.min(H - 1, Math.ceil(Math.max(f.ay, f.by) + f.r + 14));
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) {
      const o = (y * W + x) * 3;
      const { d, t } = distToSegment(x + 0.5, y + 0.5, f);
      if (d > f.r + 12) continue;
      const shade = d > f.r ? 1 - 0.3 * (1 - (d - f.r) / 12) : 0.7;
      rgb[o] *= shade; rgb[o + 1] *= shade; rgb[o + 2] *= shade;
      const a = clamp01(f.r - d + 0.5);
      if (a <= 0) continue;
      // A rounded finger: brighter along its ridge, darker at its sides; a paler nail near the tip.
      const ridge = 0.72 + 0.33 * Math.sqrt(Math.max(0, 1 - (d / f.r) ** 2));
      const tipDist = Math.hypot(x + 0.5 - f.bx, y + 0.5 - f.by);
      const nail = f.nail && t > 0.97 && tipDist < f.r * 0.75 ? 0.35 : 0;
      for (let c = 0; c < 3; c++) {
        const skin = f.skin[c] * ridge * (1 - nail) + [236, 206, 206][c] * nail * ridge;
        rgb[o + c] = rgb[o + c] * (1 - a) + skin * a;
      }
    }
  }
  // Light: exposure, white balance, lamp gradient, vignetting, a hand's or phone's shadow; then specular glare.
  const mask = scene.shadow !== null ? await shadowMask(scene.shadow) : null;
  const lamp = scene.lamp;
  let lampNear = 0, lampFar = 0;
  if (lamp !== null) {
    const raw = (d: number): number => 1 / (1 + (d / lamp.d0) ** 2);
    const nx = Math.min(W, Math.max(0, lamp.x)), ny = Math.min(H, Math.max(0, lamp.y));
    lampNear = raw(Math.hypot(lamp.x - nx, lamp.y - ny));
    lampFar = raw(Math.max(...[[0, 0], [W, 0], [0, H], [W, H]].map(([cx, cy]) => Math.hypot(lamp.x - cx, lamp.y - cy))));
  }
  const halfDiag2 = (W / 2) ** 2 + (H / 2) ** 2;
  const glare = scene.glare;
  const gc = glare !== null ? Math.cos(glare.angle) : 0, gs = glare !== null ? Math.sin(glare.angle) : 0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const o = (y * W + x) * 3;
    let light = scene.exposure * (1 - scene.vignette * (((x - W / 2) ** 2 + (y - H / 2) ** 2) / halfDiag2));
    if (lamp !== null) {
      const raw = 1 / (1 + (Math.hypot(x - lamp.x, y - lamp.y) / lamp.d0) ** 2);
      light *= lamp.gmin + (lamp.gmax - lamp.gmin) * (raw - lampFar) / (lampNear - lampFar);
    }
    if (mask !== null && scene.shadow !== null) light *= 1 - sampleMask(mask, x, y) * scene.shadow.depth / 235;
    let add = 0;
    if (glare !== null) {
      const dx = x - glare.x, dy = y - glare.y;
      const a = (gc * dx + gs * dy) / glare.sx, c = (-gs * dx + gc * dy) / glare.sy;
      add = glare.peak * (Math.exp(-0.5 * (a * a + c * c)) + 0.2 * Math.exp(-0.5 * (a * a + c * c) / 9));
    }
    for (let c = 0; c < 3; c++) rgb[o + c] = rgb[o + c] * light * scene.whiteBalance[c] + add;
  }
  // Optics: slight defocus everywhere, a linear smear when the hand or camera moved.
  const eight = Buffer.alloc(W * H * 3);
  for (let i = 0; i < eight.length; i++) eight[i] = Math.max(0, Math.min(255, Math.round(rgb[i])));
  let optics = sharp(eight, { raw: { width: W, height: H, channels: 3 } }).blur(scene.defocus);
  if (scene.motion !== null) {
    optics = sharp(await optics.raw().toBuffer(), { raw: { width: W, height: H, channels: 3 } }).convolve(motionKernel(scene.motion.length, scene.motion.angle));
  }
  const blurred = await optics.raw().toBuffer();
  // Sensor: shot + read noise, mostly shared across channels (luminance) with some chroma; in low light the scene
  // is dim, the noise is added at that level, and the camera's gain brings it back up (noise and all).
  const out = Buffer.alloc(W * H * 3);
  const ll = scene.lowLight;
  const gain = ll !== null ? ll.target / (235 * ll.dim) : 1;
  for (let i = 0; i < W * H; i++) {
    const shared = rng.gauss();
    for (let c = 0; c < 3; c++) {
      let v = blurred[i * 3 + c];
      if (ll !== null) {
        const dimV = v * ll.dim;
        const sigma = Math.sqrt(0.35 * dimV + 1);
        v = (dimV + sigma * (0.75 * shared + 0.66 * rng.gauss())) * gain;
      } else {
        const sigma = Math.sqrt(0.03 * v + 0.8);
        v += sigma * (0.8 * shared + 0.6 * rng.gauss());
      }
      out[i * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return sharp(out, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: scene.jpegQuality, chromaSubsampling: '4:2:0' }).toBuffer();
}

// ───────────────────────────── the set ─────────────────────────────

export interface PhotoEntry {
  readonly file: string;
  readonly condition: Condition;
  /** MNIST test-set index, null for a blank sheet. */
  readonly mnistIndex: number | null;
  readonly label: number | null;
  readonly effects: readonly Effect[];
  /** What else varies from photo to photo: ink, paper, and what is behind the sheet (null: paper fills the frame). */
  readonly ink: string;
  readonly paper: string;
  readonly background: string | null;
  readonly sha256: string;
}

export interface MakeOptions {
  readonly out: string;
  readonly conditions?: readonly Condition[];
  readonly count?: number;
  readonly blanks?: number;
  readonly seed?: number;
  readonly digits?: DigitSet;
  readonly progress?: (done: number, total: number) => void;
}

/** File name of a photo: the CLI reads `label<d>` from it; a blank sheet's name has none. */
export function photoName(condition: Condition, n: number, label: number | null): string {
  const nn = String(n).padStart(2, '0');
  return label === null ? `${condition}-blank-${nn}.jpg` : `${condition}-${nn}-label${label}.jpg`;
}

/** The MNIST indices, a fixed shuffle of 9000..9999; condition i takes slots i·count … so no digit repeats. */
export function digitIndices(seed: number): number[] {
  const rng = new Rng(mixSeed(seed, 0xd161));
  const idx = Array.from({ length: POOL_SIZE }, (_, i) => FIRST_INDEX + i);
  for (let i = idx.length - 1; i > 0; i--) { const j = Math.floor(rng.next() * (i + 1)); [idx[i], idx[j]] = [idx[j], idx[i]]; }
  return idx;
}

export async function makeSet(o: MakeOptions): Promise<PhotoEntry[]> {
  const seed = o.seed ?? DEFAULT_SEED, count = o.count ?? DEFAULT_COUNT, blanks = o.blanks ?? DEFAULT_BLANKS;
  const conditions = o.conditions ?? CONDITIONS;
  if (count * CONDITIONS.length > POOL_SIZE) throw new Error(`--count ${count}: ${CONDITIONS.length} conditions × ${count} > ${POOL_SIZE} digits in MNIST test 9000–9999`);
  const digits = o.digits ?? loadDigitSet('mnist:test');
  const pool = digitIndices(seed);
  mkdirSync(o.out, { recursive: true });
  const entries: PhotoEntry[] = [];
  const total = conditions.length * (count + blanks);
  for (const condition of conditions) {
    const ci = CONDITIONS.indexOf(condition);
    for (let n = 0; n < count + blanks; n++) {
      const blank = n >= count;
      const mnistIndex = blank ? null : pool[ci * count + n];
      const digit = mnistIndex === null ? null : digits.images.subarray(mnistIndex * 784, mnistIndex * 784 + 784);
      const label = mnistIndex === null ? null : digits.labels[mnistIndex];
      // Each photo its own stream: (seed, condition, number, blank?) — independent of which others are rendered.
      const rng = new Rng(mixSeed(seed, ci, blank ? n - count : n, blank ? 1 : 0));
      const scene = drawScene(condition, digit, rng);
      const jpeg = await renderPhoto(scene, digit, rng);
      const file = photoName(condition, blank ? n - count : n, label);
      writeFileAtomic(path.join(o.out, file), jpeg);
      entries.push({
        file, condition, mnistIndex, label, effects: scene.effects, ink: scene.ink.name,
        paper: scene.ruling === null ? scene.paperKind : `${scene.paperKind} ${scene.ruling.squared ? 'squared' : 'ruled'}`,
        background: scene.sheetVisible ? scene.background.kind : null, sha256: createHash('sha256').update(jpeg).digest('hex') });
      o.progress?.(entries.length, total);
    }
  }
  const manifest = {
    format: 'edge-digits-independent-photos', version: MANIFEST_VERSION, seed, width: FRAME_WIDTH, height: FRAME_HEIGHT,
    mnist: { split: 'test', first_index: FIRST_INDEX, pool_size: POOL_SIZE },
    photos: entries.map((e) => ({
      file: e.file, condition: e.condition, mnist_index: e.mnistIndex, label: e.label, effects: e.effects,
      ink: e.ink, paper: e.paper, background: e.background, sha256: e.sha256,
    })),
  };
  writeFileAtomic(path.join(o.out, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  return entries;
}

// ───────────────────────────── command line ─────────────────────────────

const HELP = `make.ts — render the independent camera-like photo set (docs/independent-photos.md)

usage: npx tsx bench/independent-photos/make.ts --out <dir> [--conditions a,b] [--count N] [--blanks N] [--seed N]

  --out <dir>         folder to write <condition>-<nn>-label<d>.jpg, <condition>-blank-<nn>.jpg and manifest.json
  --conditions <list> comma-separated subset of: ${CONDITIONS.join(', ')} (default: all)
  --count <N>         digits per condition (default ${DEFAULT_COUNT}; at most ${Math.floor(POOL_SIZE / CONDITIONS.length)})
  --blanks <N>        blank sheets per condition (default ${DEFAULT_BLANKS})
  --seed <N>          the set's seed (default ${DEFAULT_SEED}; another seed is another set)
  -h, --help          this help`;

function parseCount(name: string, s: string | undefined, dflt: number): number {
  if (s === undefined) return dflt;
  if (!/^\d+$/.test(s)) throw new Error(`--${name} takes a whole number, got '${s}'`);
  return Number(s);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, conditions: { type: 'string' }, count: { type: 'string' }, blanks: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) { console.log(HELP); return; }
  if (values.out === undefined) throw new Error('--out <dir> is required (see --help)');
  const conditions = values.conditions === undefined ? [...CONDITIONS] : values.conditions.split(',').map((c) => {
    if (!(CONDITIONS as readonly string[]).includes(c)) throw new Error(`unknown condition '${c}'; expected one of ${CONDITIONS.join(', ')}`);
    return c as Condition;
  });
  const started = Date.now();
  const entries = await makeSet({
    out: values.out, conditions, count: parseCount('count', values.count, DEFAULT_COUNT), blanks: parseCount('blanks', values.blanks, DEFAULT_BLANKS),
    seed: parseCount('seed', values.seed, DEFAULT_SEED),
    progress: (done, total) => { if (done % 50 === 0 || done === total) process.stderr.write(`rendered ${done}/${total}\n`); },
  });
  process.stderr.write(`${entries.length} photos in ${values.out} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => { process.stderr.write(`make.ts: ${e instanceof Error ? e.message : String(e)}\n`); process.exit(2); });
}
