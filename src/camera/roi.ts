import type { Rect } from './frame.js';

/**
 * Region of interest: `{ whole: true }` is the whole frame (the default: a digit may be anywhere);
 * `{ fraction }` is a centred square whose side is that fraction of min(width, height); a Rect is taken as is
 * (pixels).
 */
export type RoiSpec = { readonly whole: true } | { readonly fraction: number } | Rect;

export const DEFAULT_ROI: RoiSpec = { whole: true };

/** Integer pixel rectangle inside the frame, or a TypeError naming the bad field. */
export function resolveRoi(spec: RoiSpec, width: number, height: number): Rect {
  if ('whole' in spec) return { x: 0, y: 0, width, height };
  if ('fraction' in spec) {
    const f = spec.fraction;
    if (!(f > 0 && f <= 1)) throw new TypeError(`roi.fraction must be in (0, 1], got ${f}`);
    const side = Math.max(1, Math.round(Math.min(width, height) * f));
    return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), width: side, height: side };
  }
  const { x, y, width: w, height: h } = spec;
  for (const [k, v] of Object.entries({ x, y, width: w, height: h })) {
    if (!Number.isInteger(v)) throw new TypeError(`roi.${k} must be an integer number of pixels, got ${v}`);
  }
  if (w <= 0 || h <= 0 || x < 0 || y < 0 || x + w > width || y + h > height) {
    throw new TypeError(`roi ${w}×${h} at (${x}, ${y}) does not fit inside the ${width}×${height} frame`);
  }
  return { x, y, width: w, height: h };
}
