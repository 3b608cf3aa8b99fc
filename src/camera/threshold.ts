export type ThresholdMethod = 'otsu' | 'adaptive';

export type ThresholdSummary =
  | { readonly method: 'otsu'; readonly level: number }
  | { readonly method: 'adaptive'; readonly window: number; readonly offset: number; readonly floor: number };

export interface InkSplit {
  /** Per-pixel level: a pixel is ink when its value is above it. */
  readonly levels: Float32Array;
  readonly summary: ThresholdSummary;
}

/** Otsu's level on a 256-bin histogram: maximizes the between-class variance; ink is `value > level`. */
export function otsuLevel(hist: ArrayLike<number>): number {
  let total = 0;
  let sum = 0;
  for (let v = 0; v < 256; v++) {
    total += hist[v];
    sum += v * hist[v];
  }
  let weightLow = 0;
  let sumLow = 0;
  let best = 0;
  let bestLevel = 0;
  for (let t = 0; t < 255; t++) {
    weightLow += hist[t];
    if (weightLow === 0) continue;
    const weightHigh = total - weightLow;
    if (weightHigh === 0) break;
    sumLow += t * hist[t];
    const meanLow = sumLow / weightLow;
    const meanHigh = (sum - sumLow) / weightHigh;
    const between = weightLow * weightHigh * (meanLow - meanHigh) * (meanLow - meanHigh);
    if (between > best) {
      best = between;
      bestLevel = t;
    }
  }
  return bestLevel;
}

/** One global level for the whole (already illumination-flattened) image. */
export function otsuSplit(ink: Uint8Array): InkSplit {
  const hist = new Uint32Array(256);
  for (let i = 0; i < ink.length; i++) hist[ink[i]]++;
  const level = otsuLevel(hist);
  return { levels: new Float32Array(ink.length).fill(level), summary: { method: 'otsu', level } };
}

/**
 * Local mean over a (2r+1)² window (integral image, O(1) per pixel) plus an offset, never below `floor`:
 * follows ink that varies in strength across the image.
 */
export function adaptiveSplit(ink: Uint8Array, width: number, height: number, radius: number, offset: number, floor: number): InkSplit {
  const stride = width + 1;
  const integral = new Float64Array(stride * (height + 1));
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      row += ink[y * width + x];
      integral[(y + 1) * stride + x + 1] = integral[y * stride + x + 1] + row;
    }
  }
  const levels = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const y0 = Math.max(0, y - radius);
    const y1 = Math.min(height, y + radius + 1);
    for (let x = 0; x < width; x++) {
      const x0 = Math.max(0, x - radius);
      const x1 = Math.min(width, x + radius + 1);
      const sum = integral[y1 * stride + x1] - integral[y0 * stride + x1] - integral[y1 * stride + x0] + integral[y0 * stride + x0];
      levels[y * width + x] = Math.max(floor, sum / ((y1 - y0) * (x1 - x0)) + offset);
    }
  }
  return { levels, summary: { method: 'adaptive', window: 2 * radius + 1, offset, floor } };
}
