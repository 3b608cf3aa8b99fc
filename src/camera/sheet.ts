import { labelComponents } from './components.js';
import { running2d } from './morphology.js';
import { otsuLevel } from './threshold.js';

/** The sheet of paper in the work image: where ink may be. */
export interface Sheet {
  /** 1 on the sheet, shrunk by `inset` pixels so its edge (and the shadow line along it) is never ink. */
  readonly mask: Uint8Array;
  /** False when the paper fills the ROI (no room visible around it). */
  readonly bounded: boolean;
  /** Share of the ROI the sheet covers. */
  readonly coverage: number;
  /** Share of its own box the sheet covers (holes filled): a sheet tilted 6° covers 0.82 of it, 10° 0.73. */
  readonly fill: number;
  /** The paper level (95th percentile of the illumination field), 0..255. */
  readonly paperLevel: number;
  readonly box: { readonly minX: number; readonly minY: number; readonly maxX: number; readonly maxY: number };
}

/** The room must be darker than this share of the paper to count as "not the sheet" at all (the deepest shadow the issue names, 60 levels on 160-level paper, leaves 0.62). */
const MAX_ROOM_SHARE = 0.55;
/** Room darker than the paper by less than this is taken as paper (a white wall): it holds no ink either way. */
const MIN_SPLIT = 0.3;

/**
 * Finds the sheet from the illumination field (the closing: ink already erased): paper is the bright, broad
 * plateau; a desk, a wall or a dark room around a smaller sheet is darker. Otsu on the field's histogram
 * splits the two when they are far apart; the sheet is the largest bright region with its holes filled
 * (fingers, a dark object on it), then shrunk by `inset`. Shadows are kept on the sheet: a 60-level shadow on
 * 160-level paper is still 0.62 of it, above any room the split accepts.
 */
export function findSheet(paper: Float32Array, width: number, height: number, inset: number): Sheet {
  const n = width * height;
  const hist = new Uint32Array(256);
  for (let i = 0; i < n; i++) hist[Math.min(255, Math.max(0, Math.round(paper[i])))]++;
  let seen = 0;
  let p95 = 255;
  for (let v = 0; v < 256; v++) {
    seen += hist[v];
    if (seen > 0.95 * (n - 1)) { p95 = v; break; }
  }
  const full = (): Sheet => ({ mask: fullInset(width, height), bounded: false, coverage: 1, fill: 1, paperLevel: p95, box: { minX: 0, minY: 0, maxX: width - 1, maxY: height - 1 } });
  if (p95 < 8) return full();
  const level = otsuLevel(hist);
  let darkCount = 0;
  let darkSum = 0;
  for (let v = 0; v <= level; v++) { darkCount += hist[v]; darkSum += v * hist[v]; }
  const darkMean = darkCount ? darkSum / darkCount : p95;
  // Nothing dark enough and broad enough around the paper: the paper fills the view.
  if (darkCount < 0.03 * n || darkMean > MAX_ROOM_SHARE * p95 || level > (1 - MIN_SPLIT / 2) * p95) return full();
  const cut = Math.min(Math.max(level, 0.3 * p95), 0.7 * p95);
  const bright = new Uint8Array(n);
  for (let i = 0; i < n; i++) bright[i] = paper[i] > cut ? 1 : 0;
  const { labels, components } = labelComponents(bright, width, height);
  if (components.length === 0) return full();
  let best = components[0];
  for (const c of components) if (c.area > best.area) best = c;
  const sheet = new Uint8Array(n);
  for (let i = 0; i < n; i++) sheet[i] = labels[i] === best.label ? 1 : 0;
  // Holes: background regions that do not reach the image edge are inside the sheet.
  const outside = new Uint8Array(n);
  for (let i = 0; i < n; i++) outside[i] = sheet[i] ? 0 : 1;
  const holes = labelComponents(outside, width, height);
  for (let i = 0; i < n; i++) {
    const l = holes.labels[i];
    if (l !== 0 && !holes.components[l - 1].touchesEdge) sheet[i] = 1;
  }
  let area = 0;
  for (let i = 0; i < n; i++) area += sheet[i];
  if (area > 0.97 * n) return full();
  // A sheet's edge is a step in the field; a lamp's highlight on a dim page (or a dim room's one lit patch) falls
  // off smoothly, and its "room" just outside the cut is nearly as bright as the paper just inside it.
  const step = edgeStep(paper, sheet, width, height);
  if (step > MAX_EDGE_RATIO) return full();
  return {
    mask: insetMask(sheet, width, height, inset), bounded: true, coverage: area / n,
    fill: area / ((best.maxX - best.minX + 1) * (best.maxY - best.minY + 1)), paperLevel: p95,
    box: { minX: best.minX, minY: best.minY, maxX: best.maxX, maxY: best.maxY },
  };
}

/** How far inside and outside the region's boundary the field is compared, work pixels. */
const EDGE_BAND = 4;
/** Just outside a sheet's edge the field is at most this share of the field just inside it (a sheet on the
 * lightest room the split accepts, 0.55 of the paper, reads ≤ ~0.65 with the camera's blur); a smooth highlight
 * cut by Otsu reads ~0.8–0.95. */
const MAX_EDGE_RATIO = 0.75;

/**
 * The mean field in a band EDGE_BAND pixels wide just outside the region, over the mean in the band just inside it
 * (the image border is neither: a sheet cut by the view's edge has no step there).
 */
export function edgeStep(paper: Float32Array, region: Uint8Array, width: number, height: number): number {
  const f = new Float32Array(region.length);
  for (let i = 0; i < f.length; i++) f[i] = region[i];
  const grown = running2d(f, width, height, EDGE_BAND, true);
  const shrunk = running2d(f, width, height, EDGE_BAND, false);
  let inSum = 0, inN = 0, outSum = 0, outN = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (region[i] && shrunk[i] < 0.5) {
        // Inside pixels whose window only reaches past the image border are not next to a real edge.
        if (x < EDGE_BAND || y < EDGE_BAND || x >= width - EDGE_BAND || y >= height - EDGE_BAND) continue;
        inSum += paper[i]; inN++;
      } else if (!region[i] && grown[i] > 0.5) { outSum += paper[i]; outN++; }
    }
  }
  if (inN === 0 || outN === 0) return 0;
  return outSum / outN / (inSum / inN);
}

/**
 * insetMask of a mask that covers the whole image, at inset 1: the image border counts as outside, so the pixels
 * within 1 of it (2 from the image's edge) are cleared, the rest kept.
 */
function fullInset(width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 2; y < height - 2; y++) out.fill(1, y * width + 2, y * width + width - 2);
  return out;
}

/** The mask shrunk by `inset` pixels (a running min), the image border counting as outside. */
function insetMask(mask: Uint8Array, width: number, height: number, inset: number): Uint8Array {
  const f = new Float32Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      f[i] = x === 0 || y === 0 || x === width - 1 || y === height - 1 ? 0 : mask[i];
    }
  }
  const shrunk = inset > 0 ? running2d(f, width, height, inset, false) : f;
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < out.length; i++) out[i] = shrunk[i] > 0.5 ? 1 : 0;
  return out;
}
