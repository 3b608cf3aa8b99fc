import * as tf from '@tensorflow/tfjs';
import { asWasmHeapBackend, float32View } from './heap.js';

/**
 * MaxPoolGrad for the wasm backend in JS, in place on the wasm heap (tfjs-backend-wasm's own kernel costs ~20 % of a
 * cnn training step; this one a few percent). The same rule as the cpu backend (tfjs-backend-cpu maxPoolPositions):
 * each window's gradient goes to its first strictly-largest input in row-major window order, windows clipped to the
 * input (padding never wins), and overlapping windows add up:
 *   dx[b, r, c, d] = Σ_{windows w ∋ (r,c) whose first argmax is (r,c)} dy[b, w, d]
 */
interface MaxPoolGradAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const KERNEL = 'MaxPoolGrad (wasm JS)';

export function maxPoolGradJs(dy: tf.TensorInfo, input: tf.TensorInfo, a: MaxPoolGradAttrs, backendArg: unknown): tf.TensorInfo {
  const backend = asWasmHeapBackend(backendArg, KERNEL);
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const out = backend.makeOutput([...input.shape], 'float32');
  const dx = float32View(backend, out, KERNEL);
  const x = float32View(backend, input, KERNEL);
  const g = float32View(backend, dy, KERNEL);
  dx.fill(0);
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  if (fh === 2 && fw === 2 && info.strideHeight === 2 && info.strideWidth === 2 && top === 0 && left === 0 && 2 * OH <= H && 2 * OW <= W) {
    maxPool2x2GradInto(x, g, dx, batchSize, H, W, C, OH, OW);
    return out;
  }
  let gi = 0;
  for (let b = 0; b < batchSize; b++) {
    const xb = b * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const r0 = Math.max(0, oh * info.strideHeight - top);
      const r1 = Math.min(H, oh * info.strideHeight - top + fh);
      for (let ow = 0; ow < OW; ow++) {
        const c0 = Math.max(0, ow * info.strideWidth - left);
        const c1 = Math.min(W, ow * info.strideWidth - left + fw);
        for (let d = 0; d < C; d++, gi++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let r = r0; r < r1; r++) {
            for (let c = c0; c < c1; c++) {
              const idx = xb + (r * W + c) * C + d;
              if (x[idx] > best) { best = x[idx]; at = idx; }
            }
          }
          if (at >= 0) dx[at] += g[gi];
        }
      }
    }
  }
  return out;
}

/**
 * The cnn preset's case, 2×2 windows at stride 2 inside the input: the same comparisons in the same order as the
 * general loop (first strictly-largest of (r,c), (r,c+1), (r+1,c), (r+1,c+1)), unrolled; windows do not overlap.
 */
function maxPool2x2GradInto(
  x: Float32Array, g: Float32Array, dx: Float32Array, batch: number, H: number, W: number, C: number, OH: number, OW: number,
): void {
  const rowStep = W * C;
  let gi = 0;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const i00 = b * H * rowStep + 2 * oh * rowStep + 2 * ow * C;
        for (let d = 0; d < C; d++, gi++) {
          const p = i00 + d;
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          if (x[p] > best) { best = x[p]; at = p; }
          if (x[p + C] > best) { best = x[p + C]; at = p + C; }
          if (x[p + rowStep] > best) { best = x[p + rowStep]; at = p + rowStep; }
          if (x[p + rowStep + C] > best) at = p + rowStep + C;
          if (at >= 0) dx[at] += g[gi];
        }
      }
    }
  }
}
