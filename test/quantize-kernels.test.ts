import { describe, expect, it } from 'vitest';
import {
  convPerChannel, fullyConnectedPerChannel, maxPool, offsetAndPad, transposeToChannelsLast, type RequantParams,
} from '../src/quantize/index.js';

// Golden vectors worked out by hand from the TFLite reference integer kernels:
//   acc = bias + Σ w·(x − zp_in);  out = clamp(MultiplyByQuantizedMultiplier(acc, M, shift) + zp_out, min, max)
// With M = 2^30, shift 0 the requantization is ×0.5 with gemmlowp rounding (SRDHM: ties toward +∞,
// e.g. 3.5 → 4, −3.5 → −3, 0.5 → 1).
const HALF = 1 << 30;

function rq(channels: number, o: Partial<RequantParams> & { bias?: Int32Array }): RequantParams {
  return {
    bias: o.bias ?? new Int32Array(channels),
    multipliers: o.multipliers ?? new Int32Array(channels).fill(HALF),
    shifts: o.shifts ?? new Int32Array(channels),
    outputZeroPoint: o.outputZeroPoint ?? 0,
    activationMin: o.activationMin ?? -128,
    activationMax: o.activationMax ?? 127,
  };
}

function conv(input: number[], h: number, w: number, c: number, zpIn: number, weightsOHWI: number[], outC: number, k: [number, number], stride: [number, number], pad: [number, number, number, number], r: RequantParams): number[] {
  const [top, left, bottom, right] = pad;
  const ph = h + top + bottom;
  const pw = w + left + right;
  const padded = new Int32Array(ph * pw * c);
  offsetAndPad(Int8Array.from(input), h, w, c, zpIn, top, left, bottom, right, padded);
  const outH = Math.floor((ph - k[0]) / stride[0]) + 1;
  const outW = Math.floor((pw - k[1]) / stride[1]) + 1;
  const out = new Int8Array(outH * outW * outC);
  convPerChannel(padded, transposeToChannelsLast(weightsOHWI, outC),
    { inH: ph, inW: pw, inC: c, outH, outW, outC, kH: k[0], kW: k[1], strideH: stride[0], strideW: stride[1] },
    r, new Int32Array(outC), out);
  return Array.from(out);
}

// input (q) with zero point 10, so (x − zp) = [[2,0,4],[0,1,0],[3,0,0]]
const INPUT = [12, 10, 14, 10, 11, 10, 13, 10, 10];

describe('conv2d per-channel (golden)', () => {
  it('valid 2×2, non-zero input and output zero points, bias, ties rounding', () => {
    // accs: 2·1+1·4+1 = 7, 4·−2+1·3+1 = −4, 1·−2+3·3+1 = 8, 1·1+1 = 2 → ×0.5 → 4, −2, 4, 1 → +zp_out(−5)
    const r = rq(1, { bias: Int32Array.of(1), outputZeroPoint: -5 });
    expect(conv(INPUT, 3, 3, 1, 10, [1, -2, 3, 4], 1, [2, 2], [1, 1], [0, 0, 0, 0], r)).toEqual([-1, -7, -1, -4]);
  });

  it('fused ReLU clamps at the output zero point', () => {
    const r = rq(1, { bias: Int32Array.of(1), outputZeroPoint: -5, activationMin: -5 });
    expect(conv(INPUT, 3, 3, 1, 10, [1, -2, 3, 4], 1, [2, 2], [1, 1], [0, 0, 0, 0], r)).toEqual([-1, -5, -1, -4]);
  });

  it("'same' padding: padded positions are the input zero point and contribute nothing", () => {
    // all-ones 3×3 kernel: window sums 3,7,5 / 6,10,5 / 4,4,1 → ×0.5 → 2,4,3 / 3,5,3 / 2,2,1
    const r = rq(1, {});
    expect(conv(INPUT, 3, 3, 1, 10, new Array(9).fill(1), 1, [3, 3], [1, 1], [1, 1, 1, 1], r)).toEqual([2, 4, 3, 3, 5, 3, 2, 2, 1]);
  });

  it('stride 2 samples every other position', () => {
    // 1×1 kernel weight 2, ×0.5 → identity on (x − zp) at (0,0),(0,2),(2,0),(2,2) = 2,4,3,0
    expect(conv(INPUT, 3, 3, 1, 10, [2], 1, [1, 1], [2, 2], [0, 0, 0, 0], rq(1, {}))).toEqual([2, 4, 3, 0]);
  });

  it('per-channel multipliers, shifts and biases; NHWC output order', () => {
    // two input channels, two output channels, 1×1 kernel on one pixel: x − zp = (3, −2)
    // c0: w (5, 1), bias 0 → 13; M = 2^30, shift 1 → ×1 → 13
    // c1: w (−1, 4), bias 100 → 89; M = 2^30, shift −2 → ×0.125 → 11.125 → 11
    const r = rq(2, { bias: Int32Array.of(0, 100), shifts: Int32Array.of(1, -2) });
    expect(conv([3, -2], 1, 1, 2, 0, [5, 1, -1, 4], 2, [1, 1], [1, 1], [0, 0, 0, 0], r)).toEqual([13, 11]);
  });

  it('saturates at both ends of int8', () => {
    // acc = ±127·255 = ±32385 → ×0.5 → ±16193 → clamp
    const r = rq(2, {});
    expect(conv([127], 1, 1, 1, -128, [127, -127], 2, [1, 1], [1, 1], [0, 0, 0, 0], r)).toEqual([127, -128]);
  });
});

describe('fully connected per-channel (golden)', () => {
  it('computes, offsets the input, and saturates', () => {
    // x − zp = (100, −100) with zp_in 0; units: (127,0) → 6350 → 127; (−127,0) → −128; (1,1) → 0 + zp_out 3
    const out = new Int8Array(3);
    fullyConnectedPerChannel(Int32Array.of(100, -100), transposeToChannelsLast([127, 0, -127, 0, 1, 1], 3), 2, 3,
      rq(3, { outputZeroPoint: 3 }), new Int32Array(3), out);
    expect(Array.from(out)).toEqual([127, -128, 3]);
  });

  it('adds the bias before requantizing (−7 → −3.5 → −3 with gemmlowp rounding)', () => {
    const out = new Int8Array(1);
    fullyConnectedPerChannel(Int32Array.of(1), transposeToChannelsLast([1], 1), 1, 1, rq(1, { bias: Int32Array.of(-8) }), new Int32Array(1), out);
    expect(Array.from(out)).toEqual([-3]);
  });
});

describe('max-pool (golden)', () => {
  it('2×2 stride 2 on 4×4×1, output clamped to the activation range', () => {
    const input = Int8Array.from([
      -128, 5, 7, -3,
      0, -1, 100, 2,
      -50, -60, 127, 127,
      -70, -40, -128, 1,
    ]);
    const out = new Int8Array(4);
    maxPool(input, 4, 1, 2, 2, 2, 2, 2, 2, -128, 120, out);
    expect(Array.from(out)).toEqual([5, 100, -40, 120]);
  });

  it('keeps channels separate (NHWC)', () => {
    // 2×2×2: channel 0 = (1, 9, −4, 3), channel 1 = (−8, −2, −9, −100)
    const out = new Int8Array(2);
    maxPool(Int8Array.from([1, -8, 9, -2, -4, -9, 3, -100]), 2, 2, 2, 2, 2, 2, 1, 1, -128, 127, out);
    expect(Array.from(out)).toEqual([9, -2]);
  });
});
