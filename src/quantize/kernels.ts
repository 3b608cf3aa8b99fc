import { multiplyByQuantizedMultiplier } from './fixed-point.js';

/**
 * int8 kernels with TFLite Micro reference integer_ops semantics. Inputs arrive with the input offset
 * (−input_zero_point) already added and zero padding materialised, as Int32Array: a padded position then
 * contributes (q − zp) = 0, exactly like the reference kernel skipping points outside the image.
 *
 *   acc = bias[c] + Σ w[c,ky,kx,i] · (x[y·s+ky, x·s+kx, i] − zp_in)          (|acc| < 2^31 for our shapes)
 *   out = clamp(MultiplyByQuantizedMultiplier(acc, M[c], shift[c]) + zp_out, act_min, act_max)
 */
export interface ConvGeometry {
  readonly inH: number; readonly inW: number; readonly inC: number;
  readonly outH: number; readonly outW: number; readonly outC: number;
  readonly kH: number; readonly kW: number; readonly strideH: number; readonly strideW: number;
}

export interface RequantParams {
  readonly bias: Int32Array;
  readonly multipliers: Int32Array;
  readonly shifts: Int32Array;
  readonly outputZeroPoint: number;
  readonly activationMin: number;
  readonly activationMax: number;
}

function requantize(acc: number, c: number, r: RequantParams): number {
  let v = multiplyByQuantizedMultiplier(acc, r.multipliers[c], r.shifts[c]) + r.outputZeroPoint;
  if (v < r.activationMin) v = r.activationMin;
  else if (v > r.activationMax) v = r.activationMax;
  return v;
}

/**
 * `input` is the padded, offset input: shape [inH][inW][inC] where inH/inW already include padding.
 * `weightsHWIO` is the filter transposed to [kh][kw][inC][outC] so that one input value updates all output
 * channels from contiguous memory; inputs equal to the zero point (ReLU zeros, blank paper) contribute nothing and
 * are skipped. The sums are the same integers in a different order, so the result is bit-identical.
 */
export function convPerChannel(input: Int32Array, weightsHWIO: Int32Array, g: ConvGeometry, r: RequantParams, acc: Int32Array, out: Int8Array): void {
  const { inW, inC, outH, outW, outC, kH, kW, strideH, strideW } = g;
  const rowLen = kW * inC;
  const bias = r.bias;
  let o = 0;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let c = 0; c < outC; c++) acc[c] = bias[c];
      let w = 0;
      for (let ky = 0; ky < kH; ky++) {
        let p = ((oy * strideH + ky) * inW + ox * strideW) * inC;
        for (let k = 0; k < rowLen; k++, w += outC) {
          const x = input[p++];
          if (x === 0) continue;
          for (let c = 0; c < outC; c++) acc[c] += x * weightsHWIO[w + c];
        }
      }
      for (let c = 0; c < outC; c++) out[o++] = requantize(acc[c], c, r);
    }
  }
}

/** `weightsIO` is the dense matrix transposed to [inputs][units] (see convPerChannel for why). */
export function fullyConnectedPerChannel(input: Int32Array, weightsIO: Int32Array, inputs: number, units: number, r: RequantParams, acc: Int32Array, out: Int8Array): void {
  acc.set(r.bias);
  for (let i = 0; i < inputs; i++) {
    const x = input[i];
    if (x === 0) continue;
    const w = i * units;
    for (let u = 0; u < units; u++) acc[u] += x * weightsIO[w + u];
  }
  for (let u = 0; u < units; u++) out[u] = requantize(acc[u], u, r);
}

/** [outC][rest] (TFLite OHWI / FullyConnected layout) → [rest][outC], widened to int32 for the inner loop. */
export function transposeToChannelsLast(weights: ArrayLike<number>, outC: number): Int32Array {
  const rest = weights.length / outC;
  const t = new Int32Array(weights.length);
  for (let c = 0; c < outC; c++) for (let k = 0; k < rest; k++) t[k * outC + c] = weights[c * rest + k];
  return t;
}

/** Max over each window of int8 values; the output keeps the input's scale and zero point. */
export function maxPool(input: Int8Array, inW: number, c: number, poolH: number, poolW: number, strideH: number, strideW: number, outH: number, outW: number, actMin: number, actMax: number, out: Int8Array): void {
  let o = 0;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let ch = 0; ch < c; ch++) {
        let m = -128;
        for (let py = 0; py < poolH; py++) {
          const row = ((oy * strideH + py) * inW + ox * strideW) * c + ch;
          for (let px = 0; px < poolW; px++) {
            const v = input[row + px * c];
            if (v > m) m = v;
          }
        }
        out[o++] = m < actMin ? actMin : m > actMax ? actMax : m;
      }
    }
  }
}

/**
 * Copies int8 [h][w][c] into an Int32Array with the input offset (−zp) added and `padTop/Left/Bottom/Right`
 * zero rows/columns, the layout `convPerChannel` expects.
 */
export function offsetAndPad(src: Int8Array, h: number, w: number, c: number, zeroPoint: number, padTop: number, padLeft: number, padBottom: number, padRight: number, dst: Int32Array): void {
  const pw = w + padLeft + padRight;
  if (padTop || padLeft || padBottom || padRight) dst.fill(0, 0, (h + padTop + padBottom) * pw * c);
  for (let y = 0; y < h; y++) {
    let d = ((y + padTop) * pw + padLeft) * c;
    let s = y * w * c;
    const end = s + w * c;
    while (s < end) dst[d++] = src[s++] - zeroPoint;
  }
}
