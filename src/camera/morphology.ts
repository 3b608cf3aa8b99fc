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

function filterRows(src: Float32Array, dst: Float32Array, width: number, height: number, radius: number, takeMax: boolean, s: Scratch): void {
  const w = 2 * radius + 1;
  const length = width + 2 * radius;
  const identity = takeMax ? -Infinity : Infinity;
  const { padded, prefix, suffix } = s;
  padded.fill(identity, 0, radius);
  padded.fill(identity, radius + width, length);
  // Two copies of the same loop, one per extreme: a branch on takeMax per pixel costs ~2× in V8.
  for (let y = 0; y < height; y++) {
    const row = y * width;
    padded.set(src.subarray(row, row + width), radius);
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
      for (let p = 0; p < width; p++) { const a = suffix[p]; const c = prefix[p + w - 1]; dst[row + p] = a > c ? a : c; }
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
      for (let p = 0; p < width; p++) { const a = suffix[p]; const c = prefix[p + w - 1]; dst[row + p] = a < c ? a : c; }
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
  const s = scratchFor(width, height, radius);
  const a = new Float32Array(width * height);
  const b = new Float32Array(width * height);
  filterRows(src, a, width, height, radius, takeMax, s);
  transpose(a, b, width, height);
  filterRows(b, a, height, width, radius, takeMax, s);
  transpose(a, b, height, width);
  return b;
}

/** Grayscale closing (max then min): removes dark features narrower than 2r+1, keeps the smooth bright paper. */
export function closing(src: Float32Array, width: number, height: number, radius: number): Float32Array {
  return running2d(running2d(src, width, height, radius, true), width, height, radius, false);
}

/** Grayscale opening (min then max): removes bright features narrower than 2r+1. */
export function opening(src: Float32Array, width: number, height: number, radius: number): Float32Array {
  return running2d(running2d(src, width, height, radius, false), width, height, radius, true);
}
