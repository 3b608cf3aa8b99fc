/*
 * Running max/min over a (2r+1)×(2r+1) window, van Herk / Gil–Werman: about three comparisons per pixel
 * whatever r, from prefix and suffix extremes within blocks of the window length. Rows are filtered, the image
 * transposed, rows filtered again and transposed back, so every pass reads memory in order. Outside the image
 * the window holds nothing (padding with the identity), so windows shrink at the border.
 */

interface Scratch {
  readonly padded: Float32Array;
  readonly prefix: Float32Array;
  readonly suffix: Float32Array;
}

/**
 * Each row's running extreme at positions from, from + 1, …, from + count − 1 (which may lie outside the row; the
 * window is clipped to it), into dst rows of `count`.
 */
function filterRows(src: Float32Array, dst: Float32Array, width: number, height: number, radius: number, takeMax: boolean, s: Scratch, from = 0, count = width): void {
  const w = 2 * radius + 1;
  const length = count + 2 * radius;
  const identity = takeMax ? -Infinity : Infinity;
  const { padded, prefix, suffix } = s;
  // padded[j] holds the row's pixel from − radius + j: the part of the row that the windows read, in place.
  const start = from - radius;
  const lo = Math.max(0, start), hi = Math.min(width, start + length);
  padded.fill(identity, 0, length);
  // Two copies of the same loop, one per extreme: a branch on takeMax per pixel costs ~2× in V8.
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const out = y * count;
    if (hi > lo) padded.set(src.subarray(row + lo, row + hi), lo - start);
    if (takeMax) {
      for (let b = 0; b < length; b += w) {
        const end = Math.min(b + w, length);
        let acc = padded[b];
        prefix[b] = acc;
        for (let k = b + 1; k < end; k++) { const v = padded[k]; if (v > acc) acc = v; prefix[k] = acc; }
        acc = padded[end - 1];
        suffix[end - 1] = acc;
        for (let k = end - 2; k >= b; k--) { const v = padded[k]; if (v > acc) acc = v; suffix[k] = acc; }
      }
      for (let p = 0; p < count; p++) { const a = suffix[p]; const c = prefix[p + w - 1]; dst[out + p] = a > c ? a : c; }
    } else {
      for (let b = 0; b < length; b += w) {
        const end = Math.min(b + w, length);
        let acc = padded[b];
        prefix[b] = acc;
        for (let k = b + 1; k < end; k++) { const v = padded[k]; if (v < acc) acc = v; prefix[k] = acc; }
        acc = padded[end - 1];
        suffix[end - 1] = acc;
        for (let k = end - 2; k >= b; k--) { const v = padded[k]; if (v < acc) acc = v; suffix[k] = acc; }
      }
      for (let p = 0; p < count; p++) { const a = suffix[p]; const c = prefix[p + w - 1]; dst[out + p] = a < c ? a : c; }
    }
  }
}

function transpose(src: Float32Array, dst: Float32Array, width: number, height: number): void {
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) dst[x * height + y] = src[y * width + x];
  }
}

function scratchFor(width: number, height: number, radius: number): Scratch {
  const length = Math.max(width, height) + 2 * radius;
  return { padded: new Float32Array(length), prefix: new Float32Array(length), suffix: new Float32Array(length) };
}

/** Separable (2r+1)×(2r+1) running max (takeMax) or min. */
export function running2d(src: Float32Array, width: number, height: number, radius: number, takeMax: boolean): Float32Array {
  return runningWindow2d(src, width, height, radius, takeMax, 0, 0, width, height);
}

/**
 * The running max (takeMax) or min of running2d, read at the positions (ox + x, oy + y), x < ow, y < oh, which may
 * lie outside the image: each window is clipped to the image, and holds the identity (−∞ for max, +∞ for min) when
 * it misses the image. With ox = oy = 0, ow = width, oh = height it is running2d.
 */
export function runningWindow2d(src: Float32Array, width: number, height: number, radius: number, takeMax: boolean, ox: number, oy: number, ow: number, oh: number): Float32Array {
  const s = scratchFor(Math.max(width, ow), Math.max(height, oh), radius);
  const rows = new Float32Array(height * ow);
  filterRows(src, rows, width, height, radius, takeMax, s, ox, ow);
  const cols = new Float32Array(ow * height);
  transpose(rows, cols, ow, height);
  // When the output has the input's height (running2d), the two buffers are reused: two allocations, not four.
  const out = oh === height ? rows : new Float32Array(ow * oh);
  filterRows(cols, out, height, ow, radius, takeMax, s, oy, oh);
  const result = oh === height ? cols : new Float32Array(oh * ow);
  transpose(out, result, oh, ow);
  return result;
}

/** Grayscale closing (max then min): removes dark features narrower than 2r+1, keeps the smooth bright paper. */
export function closing(src: Float32Array, width: number, height: number, radius: number): Float32Array {
  return running2d(running2d(src, width, height, radius, true), width, height, radius, false);
}

/** Grayscale opening (min then max): removes bright features narrower than 2r+1. */
export function opening(src: Float32Array, width: number, height: number, radius: number): Float32Array {
  return running2d(running2d(src, width, height, radius, false), width, height, radius, true);
}
