import type { Int8Model, QuantLayer } from '../src/quantize/index.js';

/** A model the C engine cannot run exactly (the simulator may still run it). */
export class FirmwareGenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FirmwareGenError';
  }
}

const INT32_MAX = 2147483647;
const INPUT_PIXELS = 784;

export const elementCount = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Weights + biases, as Keras counts parameters. */
export function layerParams(l: QuantLayer): number {
  return l.op === 'maxpool' || l.op === 'logistic' ? 0 : l.weights.length + l.bias.length;
}

/** Multiply-accumulates per image: one per weight use. */
export function layerMacs(l: QuantLayer): number {
  if (l.op === 'conv2d') return elementCount(l.outShape) * l.kernel[0] * l.kernel[1] * l.inShape[2];
  if (l.op === 'dense') return l.weights.length;
  return 0;
}

/**
 * TFLite Micro's kernels accumulate in int32 and overflow is undefined behaviour in C, so before emitting a
 * model we bound every accumulator: |x − zp| ≤ max(127 − zp, zp + 128) and every partial sum is at most
 * |bias| + Σ|w|·that. Real models sit far below 2^31; a hand-made artifact with a near-int32 bias would not.
 */
export function checkAccumulatorBounds(model: Int8Model): void {
  model.layers.forEach((l, i) => {
    if (l.op === 'maxpool' || l.op === 'logistic') return;
    const zp = l.input.zeroPoint;
    const maxInput = Math.max(127 - zp, zp + 128);
    const channels = l.bias.length;
    const perChannel = l.weights.length / channels;
    for (let c = 0; c < channels; c++) {
      let sumAbs = 0;
      for (let k = c * perChannel; k < (c + 1) * perChannel; k++) sumAbs += Math.abs(l.weights[k]);
      const bound = Math.abs(l.bias[c]) + sumAbs * maxInput;
      if (bound > INT32_MAX) {
        throw new FirmwareGenError(
          `layers[${i}] (${l.name}): output channel ${c} can accumulate up to ${bound} (|bias| ${Math.abs(l.bias[c])} + ` +
            `${sumAbs}·${maxInput}), beyond int32; the C engine would overflow, so no C is generated for this model`,
        );
      }
    }
  });
}

/** Where a tensor lives in the activation arena. Tensor 0 is the quantized input, tensor i+1 layer i's output. */
export interface TensorSlot {
  readonly offset: number;
  readonly bytes: number;
}

export interface ArenaPlan {
  readonly bytes: number;
  readonly tensors: readonly TensorSlot[];
  /** Layers whose output overwrites their input (max-pool without padding, logistic). */
  readonly inPlace: readonly boolean[];
  /** What plain ping-pong buffers would need: max(in) + max(out)-style bound, for comparison. */
  readonly pingPongBytes: number;
}

/**
 * Max-pool may run in place when each output element is written only after every later window stopped needing
 * it: output index o = (oy·outW + ox)·C + c, earliest later read (oy·sh·inW + ox·sw)·C + c ≥ o, which holds
 * when sh·inW ≥ outW and sw ≥ 1 (see ed_max_pool_s8).
 */
export function poolCanRunInPlace(l: Extract<QuantLayer, { op: 'maxpool' }>): boolean {
  return l.stride[0] * l.inShape[1] >= l.outShape[1] && l.stride[1] >= 1;
}

/**
 * Static arena offsets. A layer's input and output must not overlap (except in-place pooling), and only those
 * two tensors are alive while it runs, so each output is placed first-fit next to its input: at offset 0 when it
 * fits below the input, else right after it. The arena is the highest end used.
 */
export function planArena(model: Int8Model): ArenaPlan {
  const tensors: TensorSlot[] = [{ offset: 0, bytes: INPUT_PIXELS }];
  const inPlace: boolean[] = [];
  model.layers.forEach((l, i) => {
    const input = tensors[i];
    const bytes = elementCount(l.outShape);
    // Logistic is element-wise (ed_logistic.h reads each element before writing it), so it always runs in place.
    const reuse = (l.op === 'maxpool' && poolCanRunInPlace(l) && bytes <= input.bytes) || l.op === 'logistic';
    inPlace.push(reuse);
    if (reuse) tensors.push({ offset: input.offset, bytes });
    else tensors.push({ offset: bytes <= input.offset ? 0 : input.offset + input.bytes, bytes });
  });
  const bytes = Math.max(...tensors.map((t) => t.offset + t.bytes));
  const sizes = tensors.map((t) => t.bytes);
  const pingPongBytes = Math.max(...sizes.filter((_, i) => i % 2 === 0)) + Math.max(...sizes.filter((_, i) => i % 2 === 1));
  return { bytes, tensors, inPlace, pingPongBytes };
}

/** Checks the invariant the C kernels rely on; a failure is a planner bug, not a user error. */
export function assertArenaPlanValid(model: Int8Model, plan: ArenaPlan): void {
  model.layers.forEach((l, i) => {
    const a = plan.tensors[i];
    const b = plan.tensors[i + 1];
    const overlap = a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
    if (overlap && !(plan.inPlace[i] && a.offset === b.offset)) {
      throw new Error(`arena plan: layers[${i}] (${l.name}) input [${a.offset}, +${a.bytes}) overlaps output [${b.offset}, +${b.bytes})`);
    }
  });
}

/** Largest sum |w| of a low-lane channel: 128 · 65535 < 2^23, so the low lane's sum stays in [-2^23, 2^23). */
export const PACKED_LANE_MAX_ABS_SUM = 65535;

/** The DSP kernels double the accumulator before SMMULR (ed_dsp.h), so packed layers keep it below 2^30. */
export const PACKED_ACCUMULATOR_LIMIT = 2 ** 30;

export type PackedConvEligibility = { readonly ok: true; readonly words: number } | { readonly ok: false; readonly reason: string };

/**
 * Whether ed_conv2d_s8's packed loop computes this layer exactly (ed_kernels.h): every window lies inside the input
 * (the loop has no padding tests and folds the input offset into the bias, which padding taps would break), and in
 * each group of 4 output channels the two low-lane channels (0 and 2) keep their sums inside 24 bits:
 * |x · w| ≤ 128 · |w|, so Σ|w| ≤ 65535; and every accumulator stays below 2^30 (the DSP kernels double it).
 * `words` is the scratch the loop needs: 2 per tap, window rows rounded up to 4 taps (packed or widened weights;
 * for every channel group when rows are not whole blocks of 4), and 4 per output column (one row of sums).
 */
export function packedConvEligibility(l: Extract<QuantLayer, { op: 'conv2d' }>): PackedConvEligibility {
  const [inH, inW, inC] = l.inShape;
  const [outH, outW, outC] = l.outShape;
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.stride;
  if (l.padTop !== 0 || l.padLeft !== 0 || (outH - 1) * sh + kh > inH || (outW - 1) * sw + kw > inW) {
    return { ok: false, reason: 'windows reach into padding' };
  }
  const taps = kh * kw * inC;
  const maxInput = Math.max(127 - l.input.zeroPoint, l.input.zeroPoint + 128);
  for (let c = 0; c < outC; c++) {
    let sumAbs = 0;
    for (let k = c * taps; k < (c + 1) * taps; k++) sumAbs += Math.abs(l.weights[k]);
    if (c % 2 === 0 && sumAbs > PACKED_LANE_MAX_ABS_SUM) return { ok: false, reason: `output channel ${c}: sum |w| = ${sumAbs} > ${PACKED_LANE_MAX_ABS_SUM}` };
    if (Math.abs(l.bias[c]) + maxInput * sumAbs >= PACKED_ACCUMULATOR_LIMIT) {
      return { ok: false, reason: `output channel ${c}: accumulator may reach 2^30` };
    }
  }
  // The DSP kernels (ed_dsp.h) widen weights into the same scratch in blocks of 4 taps per window row; when a
  // window row is not whole blocks they keep every channel group's weights at once.
  const run = kw * inC;
  const window4 = kh * Math.ceil(run / 4) * 4;
  const groups = run % 4 === 0 ? 1 : Math.ceil(outC / 4);
  // Small windows (≤ 10 taps) run channel by channel there instead: 5 words per channel, a row of sums for all.
  const smallWindow = taps <= 10 ? 5 * outC + outW * outC : 0;
  return { ok: true, words: Math.max(2 * window4 * groups + 4 * outW, smallWindow) };
}

/**
 * int16 entries per column of ed_dsp.h's im2col loop (ED_DSP_COLUMN_CAPACITY): the largest conv receptive field
 * or dense input, rounded up to a multiple of 4. A layer that does not fit would run the portable kernel.
 */
export function dspColumnCapacity(model: Int8Model): number {
  const needs = model.layers.map((l) => {
    if (l.op === 'conv2d') return l.kernel[0] * l.kernel[1] * l.inShape[2];
    if (l.op === 'dense') return elementCount(l.inShape);
    return 0;
  });
  return Math.ceil(Math.max(4, ...needs) / 4) * 4;
}
