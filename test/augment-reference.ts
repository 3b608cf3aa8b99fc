/**
 * The plain formulation of src/data/augment.ts's augmentImage as it was before it was tuned for speed (test-only):
 * the tuned one must produce the same bits for every image and draw.
 */
import { IMAGE_SIZE, type AugmentOptions } from '../src/data/index.js';

const N = IMAGE_SIZE;

/**
 * Writes a randomly transformed copy of a 28×28 uint8 image into `out` (length 784, values 0..255).
 * Inverse-mapped affine transform about the image centre with bilinear sampling; pixels outside are background.
 */
export function augmentImageReference(src: Uint8Array, out: Float32Array, rng: () => number, opt: AugmentOptions): void {
  const angle = ((rng() * 2 - 1) * opt.rotate * Math.PI) / 180;
  const s = 1 + (rng() * 2 - 1) * opt.scale;
  const dx = (rng() * 2 - 1) * opt.shift;
  const dy = (rng() * 2 - 1) * opt.shift;
  const strokeRoll = rng();
  const cos = Math.cos(angle) / s;
  const sin = Math.sin(angle) / s;
  const c = (N - 1) / 2;
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const ox = x - c - dx;
      const oy = y - c - dy;
      const sx = cos * ox + sin * oy + c;
      const sy = -sin * ox + cos * oy + c;
      out[y * N + x] = bilinear(src, sx, sy);
    }
  }
  if (strokeRoll < opt.stroke / 2) morph(out, Math.max);
  else if (strokeRoll < opt.stroke) morph(out, Math.min);
}

function bilinear(src: Uint8Array, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const p = (xx: number, yy: number): number => (xx < 0 || yy < 0 || xx >= N || yy >= N ? 0 : src[yy * N + xx]);
  return (p(x0, y0) * (1 - fx) + p(x0 + 1, y0) * fx) * (1 - fy) + (p(x0, y0 + 1) * (1 - fx) + p(x0 + 1, y0 + 1) * fx) * fy;
}

/** Half-strength 3×3 cross dilation (max) or erosion (min): a gentle change of stroke width. */
function morph(img: Float32Array, op: (a: number, b: number) => number): void {
  const src = Float32Array.from(img);
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      let v = src[y * N + x];
      if (x > 0) v = op(v, src[y * N + x - 1]);
      if (x < N - 1) v = op(v, src[y * N + x + 1]);
      if (y > 0) v = op(v, src[(y - 1) * N + x]);
      if (y < N - 1) v = op(v, src[(y + 1) * N + x]);
      img[y * N + x] = (src[y * N + x] + v) / 2;
    }
  }
}
