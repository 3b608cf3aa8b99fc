/**
 * Batch normalization for training only: a model trained with `batchNorm` (buildModel) has a batch normalization
 * after every conv2d; the deployed model has today's plain layers. After training (and for every epoch's
 * evaluation) the population statistics of each normalization are recomputed once with the final weights over a
 * fixed slice of un-augmented training images ("precise BN": the moving averages are never used), and folded into
 * the convolution before it, per output channel c:
 *
 *   s_c = γ_c / √(σ²_c + ε),   w'[…, c] = w[…, c] · s_c,   b'_c = (b_c − μ_c) · s_c + β_c   (b = 0: the BN conv has no bias)
 *
 * so folded(x) = γ·(conv(x) − μ)/√(σ² + ε) + β, the normalization's inference form, exactly up to float rounding.
 */
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_EPSILON, buildModel } from './model.js';
import { modelCost, type Activation, type LayerSpec } from './presets.js';

/** How many training images (the first ones, un-augmented) the population statistics are computed over. */
export const STATISTICS_IMAGES = 10_000;

/** Per-channel population mean and (biased, as the normalization divides by it) variance of one normalization. */
export interface ChannelStatistics { readonly mean: Float64Array; readonly variance: Float64Array }

export interface FoldedModel {
  /** The plain model's weights, in its model.getWeights() order (kernel, bias per conv2d and dense layer). */
  readonly weights: Float32Array[];
  /** The statistics each normalization was folded with, in layer order. */
  readonly statistics: ChannelStatistics[];
}

/** The number of trainable floats (the flat gradient's size): a BN conv has γ and β per channel instead of a bias. */
export function trainableSize(layers: readonly LayerSpec[], batchNorm: boolean): number {
  const extra = batchNorm ? layers.reduce((a, l) => a + (l.kind === 'conv2d' ? l.filters : 0), 0) : 0;
  return modelCost(layers).params + extra;
}

/** The fold for one convolution (HWIO kernel, output channel last); pure, float64 arithmetic rounded once. */
export function foldConvolution(
  kernel: Float32Array, gamma: Float32Array, beta: Float32Array, stats: ChannelStatistics, epsilon = BATCH_NORM_EPSILON,
): { kernel: Float32Array; bias: Float32Array } {
  const channels = gamma.length;
  const scale = new Float64Array(channels);
  const bias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = gamma[c] / Math.sqrt(stats.variance[c] + epsilon);
    bias[c] = (0 - stats.mean[c]) * scale[c] + beta[c];
  }
  const folded = new Float32Array(kernel.length);
  for (let i = 0; i < kernel.length; i++) folded[i] = kernel[i] * scale[i % channels];
  return { kernel: folded, bias };
}

function activate(x: tf.Tensor4D, a: Activation): tf.Tensor4D {
  return a === 'relu' ? tf.relu(x) : a === 'sigmoid' ? tf.sigmoid(x) : x;
}

/** A layer of the already folded prefix of the network, as tf ops (the stats pass runs no tfjs model). */
type PrefixLayer =
  | { kind: 'conv2d'; spec: Extract<LayerSpec, { kind: 'conv2d' }>; kernel: tf.Tensor4D; bias: tf.Tensor1D }
  | { kind: 'maxpool'; spec: Extract<LayerSpec, { kind: 'maxpool' }> };

function runPrefix(x: tf.Tensor4D, prefix: readonly PrefixLayer[]): tf.Tensor4D {
  let y = x;
  for (const p of prefix) {
    y = p.kind === 'conv2d'
      ? activate(tf.add(tf.conv2d(y, p.kernel, p.spec.stride, p.spec.padding), p.bias), p.spec.activation)
      : tf.maxPool(y, p.spec.size, p.spec.stride, 'valid');
  }
  return y;
}

/** Statistics are computed in batches of this many images. */
export const STATISTICS_BATCH = 500;

/**
 * How data-parallel replicas share the statistics pass: replica `rank` of `workers` computes the partial moments of
 * the batches b with b % workers === rank and writes them to `slots` (shared memory, statisticsSlots() float64s);
 * after `wait` (a barrier over all replicas) every replica merges all batches' partials in batch order, the same
 * merge in the same order as one replica computing every batch itself, so the statistics have the same bits.
 */
export interface StatisticsShare {
  readonly rank: number;
  readonly workers: number;
  readonly slots: Float64Array;
  readonly wait: () => void;
}

/** Per batch: its positions, then its mean and its sum of squared deviations per channel. */
function slotsPerLayer(batches: number, channels: number): number {
  return batches * (1 + 2 * channels);
}

/** The float64 slots a StatisticsShare needs for a run with `trainCount` training images (every conv2d a region). */
export function statisticsSlots(layers: readonly LayerSpec[], trainCount: number, batch = STATISTICS_BATCH): number {
  const batches = Math.ceil(Math.min(STATISTICS_IMAGES, trainCount) / batch);
  return layers.reduce((a, l) => a + (l.kind === 'conv2d' ? slotsPerLayer(batches, l.filters) : 0), 0);
}

/**
 * Mean and variance per output channel of conv(prefix(x)) (no bias) over `count` images, batch by batch, in float64
 * (the conv outputs are float32; summing ~10⁶ of them per channel in float32 would cost ~10⁻⁴ of the variance). The
 * batches' moments are merged exactly (Chan et al.'s pairwise update), so the result does not depend on the batch
 * size beyond float64 rounding. With `share`, this replica computes only its batches' partials (written at `region`
 * of the shared slots) and merges everyone's after the barrier; without, it computes every batch itself.
 */
function convolutionStatistics(
  prefix: readonly PrefixLayer[], spec: Extract<LayerSpec, { kind: 'conv2d' }>, kernel: tf.Tensor4D,
  images: Uint8Array, count: number, batch: number, share: StatisticsShare | null, region: number,
): ChannelStatistics {
  const channels = spec.filters;
  const batches = Math.ceil(count / batch);
  const stride = 1 + 2 * channels;
  const slots = share ? share.slots.subarray(region, region + slotsPerLayer(batches, channels)) : new Float64Array(slotsPerLayer(batches, channels));
  for (let b = 0; b < batches; b++) {
    if (share && b % share.workers !== share.rank) continue;
    const start = b * batch;
    const k = Math.min(batch, count - start);
    // The tensor, not its data, leaves the tidy: tidy walks whatever it returns, element by element.
    const output = tf.tidy(() => {
      const x = tf.div(tf.tensor4d(images.subarray(start * 784, (start + k) * 784), [k, 28, 28, 1], 'float32'), 255) as tf.Tensor4D;
      return tf.conv2d(runPrefix(x, prefix), kernel, spec.stride, spec.padding);
    });
    const z = output.dataSync() as Float32Array;
    output.dispose();
    const positions = z.length / channels;
    const bm = new Float64Array(channels);
    const bm2 = new Float64Array(channels);
    for (let i = 0; i < z.length; i += channels) for (let c = 0; c < channels; c++) bm[c] += z[i + c];
    for (let c = 0; c < channels; c++) bm[c] /= positions;
    for (let i = 0; i < z.length; i += channels) {
      for (let c = 0; c < channels; c++) {
        const d = z[i + c] - bm[c];
        bm2[c] += d * d;
      }
    }
    slots[b * stride] = positions;
    slots.set(bm, b * stride + 1);
    slots.set(bm2, b * stride + 1 + channels);
  }
  share?.wait();
  const mean = new Float64Array(channels);
  const m2 = new Float64Array(channels);
  let n = 0;
  for (let b = 0; b < batches; b++) {
    const o = b * stride;
    const positions = slots[o];
    const total = n + positions;
    for (let c = 0; c < channels; c++) {
      const delta = slots[o + 1 + c] - mean[c];
      mean[c] += (delta * positions) / total;
      m2[c] += slots[o + 1 + channels + c] + (delta * delta * n * positions) / total;
    }
    n = total;
  }
  return { mean, variance: m2.map((v) => v / n) };
}

/**
 * Folds a batch-normalized model's trainable weights (buildModel(layers, seed, true).trainableWeights order: per
 * conv2d kernel, γ, β; per dense kernel, bias) into the plain model's weights, computing each normalization's
 * statistics over `count` images with every earlier layer already folded (so each statistic is the one the
 * deployed network's own activations have). With `share`, every replica calls this at the same time with the same
 * weights and each computes only its share of the batches (StatisticsShare); the result has the same bits.
 */
export function foldBatchNorm(
  layers: readonly LayerSpec[], trainable: readonly Float32Array[], images: Uint8Array, count: number, batch = STATISTICS_BATCH,
  share: StatisticsShare | null = null,
): FoldedModel {
  const weights: Float32Array[] = [];
  const statistics: ChannelStatistics[] = [];
  const prefix: PrefixLayer[] = [];
  let t = 0;
  let region = 0;
  try {
    for (const l of layers) {
      if (l.kind === 'conv2d') {
        const [kernel, gamma, beta] = [trainable[t], trainable[t + 1], trainable[t + 2]];
        t += 3;
        const inputs = kernel.length / (l.kernel * l.kernel * l.filters);
        const shape: [number, number, number, number] = [l.kernel, l.kernel, inputs, l.filters];
        const raw = tf.tensor4d(kernel, shape);
        const stats = convolutionStatistics(prefix, l, raw, images, count, batch, share, region);
        region += slotsPerLayer(Math.ceil(count / batch), l.filters);
        raw.dispose();
        const folded = foldConvolution(kernel, gamma, beta, stats);
        weights.push(folded.kernel, folded.bias);
        statistics.push(stats);
        prefix.push({ kind: 'conv2d', spec: l, kernel: tf.tensor4d(folded.kernel, shape), bias: tf.tensor1d(folded.bias) });
      } else if (l.kind === 'maxpool') {
        prefix.push({ kind: 'maxpool', spec: l });
      } else if (l.kind === 'dense') {
        weights.push(Float32Array.from(trainable[t]), Float32Array.from(trainable[t + 1]));
        t += 2;
      }
    }
    // Nobody writes the slots of the next fold before everyone has read this one's.
    share?.wait();
  } finally {
    for (const p of prefix) if (p.kind === 'conv2d') tf.dispose([p.kernel, p.bias]);
  }
  if (t !== trainable.length) throw new Error(`foldBatchNorm: ${trainable.length} trainable tensors, the layers use ${t}`);
  return { weights, statistics };
}

/**
 * The deployed model of a batch-normalized training run: one plain model (today's layers) that takes the folded
 * weights of whatever trainable weights it is given, with the statistics over a fixed image slice.
 */
export class BatchNormFolder {
  private readonly plain: tf.Sequential;
  /** Statistics are computed on the first STATISTICS_IMAGES (or all, if fewer) of the training images given. */
  private readonly images: Uint8Array;
  private readonly count: number;
  /**
   * share: the replicas of a data-parallel run split the statistics pass (StatisticsShare); every replica must then
   * fold the same weights at the same time (each fold call waits at the shared barrier).
   */
  constructor(
    private readonly layers: readonly LayerSpec[], seed: number, trainImages: Uint8Array, trainCount: number,
    private readonly share: StatisticsShare | null = null,
  ) {
    this.plain = buildModel(layers, seed);
    this.count = Math.min(STATISTICS_IMAGES, trainCount);
    this.images = trainImages.subarray(0, this.count * 784);
  }

  /** The last fold and the weights it was of (copies): the saved model is the fold of the last epoch's weights. */
  private last: { trainable: Float32Array[]; folded: FoldedModel } | null = null;

  fold(trainable: readonly Float32Array[]): FoldedModel {
    const same = this.last !== null && this.last.trainable.length === trainable.length
      && this.last.trainable.every((w, i) => w.length === trainable[i].length && w.every((v, j) => Object.is(v, trainable[i][j])));
    if (!same || !this.last) this.last = { trainable: trainable.map((w) => Float32Array.from(w)), folded: foldBatchNorm(this.layers, trainable, this.images, this.count, STATISTICS_BATCH, this.share) };
    return this.last.folded;
  }

  /** The plain model holding the fold of `trainable` (the same model object every call). */
  foldedModel(trainable: readonly Float32Array[]): tf.Sequential {
    const { weights } = this.fold(trainable);
    const tensors = weights.map((w, i) => tf.tensor(w, this.plain.weights[i].shape as number[]));
    this.plain.setWeights(tensors);
    tf.dispose(tensors);
    return this.plain;
  }
}
