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
  /** A conv fused with the max-pool after it writes no tensor of its own: its slot is the pool's, with 0 bytes. */
  readonly tensors: readonly TensorSlot[];
  /** Layers whose output overwrites their input (max-pool without padding, logistic). */
  readonly inPlace: readonly boolean[];
  /** Conv layers that run fused with the max-pool after them (fusedPoolEligibility). */
  readonly fusedPool: readonly boolean[];
  /** What plain ping-pong buffers would need: max(in) + max(out)-style bound, for comparison. */
  readonly pingPongBytes: number;
}

/**
 * Max-pool may run in place when each output element is written only after every later window stopped needing
 * it: output index o = (oy·outW + ox)·C + c, earliest later read (oy·sh·inW + ox·sw)·C + c ≥ o, which holds
 * when sh·inW ≥ outW and sw ≥ 1 (see ed_max_pool.h).
 */
export function poolCanRunInPlace(l: Extract<QuantLayer, { op: 'maxpool' }>): boolean {
  return l.stride[0] * l.inShape[1] >= l.outShape[1] && l.stride[1] >= 1;
}

type ConvLayer = Extract<QuantLayer, { op: 'conv2d' }>;
type PoolLayer = Extract<QuantLayer, { op: 'maxpool' }>;
export type FusedPoolEligibility = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Largest |accumulator| of each output channel: |bias| + Σ|w| · max |x − zp| (checkAccumulatorBounds). */
function accumulatorBounds(l: ConvLayer): number[] {
  const zp = l.input.zeroPoint;
  const maxInput = Math.max(127 - zp, zp + 128);
  const per = l.weights.length / l.bias.length;
  return l.bias.map((b, c) => {
    let sumAbs = 0;
    for (let k = c * per; k < (c + 1) * per; k++) sumAbs += Math.abs(l.weights[k]);
    return Math.abs(b) + sumAbs * maxInput;
  });
}

/**
 * Whether the max-pool right after a conv can run fused into it (ed_conv.h): max-pooling the int32 accumulators
 * and requantizing the maximum gives the bytes of requantizing every accumulator and pooling, because
 * requantization is monotonic non-decreasing in the accumulator: SRDHM is floor((acc·M + 2^30) / 2^31) for either
 * sign (M ≥ 0: TFLite's multipliers are in [2^30, 2^31) or 0), RoundingDivideByPOT rounds half away from zero,
 * offset and clamps are monotonic. It fails only where acc << left_shift wraps (a positive shift on a large
 * accumulator), so every channel's bound · 2^shift must stay below 2^31; and the conv's clamp followed by the
 * pool's must be one clamp (their ranges must meet).
 */
export function fusedPoolEligibility(conv: ConvLayer, pool: PoolLayer): FusedPoolEligibility {
  if (conv.multipliers.some((m) => m < 0)) return { ok: false, reason: 'a negative multiplier' };
  const bounds = accumulatorBounds(conv);
  const wraps = conv.shifts.findIndex((s, c) => s > 0 && bounds[c] * 2 ** s > INT32_MAX);
  if (wraps >= 0) return { ok: false, reason: `output channel ${wraps}: acc << ${conv.shifts[wraps]} may wrap` };
  if (Math.max(conv.activationMin, pool.activationMin) > Math.min(conv.activationMax, pool.activationMax)) {
    return { ok: false, reason: 'the conv and pool clamps do not meet' };
  }
  return { ok: true };
}

/** For each layer: is it a conv that runs fused with the max-pool right after it. */
export function fusedPools(model: Int8Model): boolean[] {
  return model.layers.map((l, i) => {
    const next = model.layers[i + 1];
    return l.op === 'conv2d' && next?.op === 'maxpool' && fusedPoolEligibility(l, next).ok;
  });
}

/** One kernel call of the generated forward pass: a layer, or a conv with the max-pool fused into it. */
export interface ModelStep {
  readonly op: QuantLayer['op'] | 'conv2d+maxpool';
  /** Indices of the artifact's layers it computes. */
  readonly layers: readonly number[];
  readonly macs: number;
}

/** The kernel calls of the generated ed_model_forward after the input quantization, in order. */
export function modelSteps(model: Int8Model): ModelStep[] {
  const fused = fusedPools(model);
  const steps: ModelStep[] = [];
  model.layers.forEach((l, i) => {
    if (i > 0 && fused[i - 1]) return;
    steps.push(fused[i] ? { op: 'conv2d+maxpool', layers: [i, i + 1], macs: layerMacs(l) } : { op: l.op, layers: [i], macs: layerMacs(l) });
  });
  return steps;
}

/**
 * Static arena offsets. A layer's input and output must not overlap (except in-place pooling), and only those
 * two tensors are alive while it runs, so each output is placed first-fit next to its input: at offset 0 when it
 * fits below the input, else right after it. A fused conv + pool is one step from the conv's input to the
 * pool's output. The arena is the highest end used.
 */
export function planArena(model: Int8Model): ArenaPlan {
  const tensors: TensorSlot[] = [{ offset: 0, bytes: INPUT_PIXELS }];
  const inPlace: boolean[] = [];
  const fusedPool = fusedPools(model);
  const nextTo = (input: TensorSlot, bytes: number): TensorSlot => ({ offset: bytes <= input.offset ? 0 : input.offset + input.bytes, bytes });
  model.layers.forEach((l, i) => {
    const bytes = elementCount(l.outShape);
    if (fusedPool[i]) {
      const out = nextTo(tensors[i], elementCount(model.layers[i + 1].outShape));
      tensors.push({ offset: out.offset, bytes: 0 });
      inPlace.push(false);
      return;
    }
    if (i > 0 && fusedPool[i - 1]) {
      tensors.push(nextTo(tensors[i - 1], bytes));
      inPlace.push(false);
      return;
    }
    const input = tensors[i];
    // Logistic is element-wise (ed_logistic.h reads each element before writing it), so it always runs in place.
    const reuse = (l.op === 'maxpool' && poolCanRunInPlace(l) && bytes <= input.bytes) || l.op === 'logistic';
    inPlace.push(reuse);
    tensors.push(reuse ? { offset: input.offset, bytes } : nextTo(input, bytes));
  });
  const bytes = Math.max(...tensors.map((t) => t.offset + t.bytes));
  const sizes = [INPUT_PIXELS, ...model.layers.map((l) => elementCount(l.outShape))];
  const pingPongBytes = Math.max(...sizes.filter((_, i) => i % 2 === 0)) + Math.max(...sizes.filter((_, i) => i % 2 === 1));
  return { bytes, tensors, inPlace, fusedPool, pingPongBytes };
}

/** Checks the invariant the C kernels rely on; a failure is a planner bug, not a user error. */
export function assertArenaPlanValid(model: Int8Model, plan: ArenaPlan): void {
  model.layers.forEach((l, i) => {
    if (plan.fusedPool[i]) return; // the conv + pool step is checked at the pool, from the conv's input
    const a = plan.tensors[i > 0 && plan.fusedPool[i - 1] ? i - 1 : i];
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
 * Whether the packed conv loops compute this layer exactly (ed_conv_packed.h, ed_dsp_conv.h): every window lies
 * inside the input (the loops have no padding tests and fold the input offset into the bias, which padding taps
 * would break), and in each group of 4 output channels the two low-lane channels (0 and 2) keep their sums inside
 * 24 bits: |x · w| ≤ 128 · |w|, so Σ|w| ≤ 65535; and every accumulator stays below 2^30 (the DSP requantization
 * doubles it). `words` is the scratch the loops need, the most of the portable and the DSP ones: the widened input
 * (DSP, in_c a multiple of 4: half a word per input byte), one channel group's weights (2 words per tap; the
 * 3x3 loops on one input channel: see below), then the row driver's sums, one per channel and output column
 * (pooled, with a fused pool).
 */
export function packedConvEligibility(l: ConvLayer, pool?: PoolLayer): PackedConvEligibility {
  const [inH, inW, inC] = l.inShape;
  const [outH, outW, outC] = l.outShape;
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.stride;
  if (l.padTop !== 0 || l.padLeft !== 0 || (outH - 1) * sh + kh > inH || (outW - 1) * sw + kw > inW) {
    return { ok: false, reason: 'windows reach into padding' };
  }
  const taps = kh * kw * inC;
  const per = l.weights.length / l.bias.length;
  const bounds = accumulatorBounds(l);
  for (let c = 0; c < outC; c++) {
    let sumAbs = 0;
    for (let k = c * per; k < (c + 1) * per; k++) sumAbs += Math.abs(l.weights[k]);
    if (c % 2 === 0 && sumAbs > PACKED_LANE_MAX_ABS_SUM) return { ok: false, reason: `output channel ${c}: sum |w| = ${sumAbs} > ${PACKED_LANE_MAX_ABS_SUM}` };
    if (bounds[c] >= PACKED_ACCUMULATOR_LIMIT) return { ok: false, reason: `output channel ${c}: accumulator may reach 2^30` };
  }
  const pooledW = pool ? pool.outShape[1] : outW;
  const sums = (group: number): number => pooledW * group;
  const groups = 2 * taps + sums(4);
  // The DSP loop for in_c a multiple of 4 also keeps the input widened to halfwords.
  const widened = inC % 4 === 0 ? (inH * inW * inC) / 2 + groups : 0;
  // 3x3 on one input channel: the portable loop packs every group of 4 channels (18 words each) and sums every
  // channel (rounded up to 4); the DSP loop (stride 1, 2x2 pool) widens 5 words per channel and builds 21 per pooled
  // output of a row.
  const quads = 4 * Math.ceil(outC / 4);
  const oneChannel = kh === 3 && kw === 3 && inC === 1 ? Math.max(18 * (quads / 4) + sums(quads), 5 * outC + 21 * pooledW) : 0;
  return { ok: true, words: Math.max(groups, widened, oneChannel) };
}
