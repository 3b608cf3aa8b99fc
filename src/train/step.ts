import * as tf from '@tensorflow/tfjs';
import { buildModel } from './model.js';
import type { LayerSpec } from './presets.js';

/**
 * Adam (Kingma & Ba; the same update as tf.train.adam, epsilon 1e-7) on flat float32 arrays in JS:
 *   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,  w ← w − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε)
 * One pass over the 29k parameters replaces ~80 small tfjs ops per step (~20 % of a wasm step in the profile).
 */
export class FlatAdam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private beta1Power = 1;
  private beta2Power = 1;
  constructor(size: number, private readonly beta1 = 0.9, private readonly beta2 = 0.999, private readonly epsilon = 1e-7) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  update(weights: Float32Array, g: Float32Array, lr: number): void {
    const { m, v, beta1: b1, beta2: b2, epsilon } = this;
    this.beta1Power *= b1;
    this.beta2Power *= b2;
    const c1 = 1 - this.beta1Power;
    const c2 = 1 - this.beta2Power;
    for (let i = 0; i < weights.length; i++) {
      const gi = g[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      weights[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + epsilon);
    }
  }
}

export interface StepStats { lossSum: number; correct: number }

/**
 * How the moving average of the weights starts (GradientStepper):
 * - 'ramp': TensorFlow's ExponentialMovingAverage with num_updates: the decay at update t is
 *   min(decay, (1 + t)/(10 + t)), which reaches the set decay d only at t = (10d − 1)/(1 − d): 8,990 updates for
 *   0.999, 17,990 for 0.9995. A 14-epoch default run has ~6,560, so it ends on the ramp (0.99863) and --ema-decay
 *   0.999 and 0.9995 train the same bits there: the set decay does not say what the average is.
 * - 'bias-corrected': the set decay d at every update, from an average that starts at 0, divided by the weight it
 *   has gathered (as Adam corrects its moments): a ← d·a + (1−d)·w, evaluated as a / (1 − dᵗ) — the average of the
 *   weights of updates 1..t, update k weighted ∝ d^(t−k), whatever t is. The initial weights get no weight.
 */
export type EmaWarmup = 'ramp' | 'bias-corrected';
export const EMA_WARMUPS: readonly EmaWarmup[] = ['ramp', 'bias-corrected'];

/** The 'ramp' warm-up's decay at update t (1-based). */
export function rampedEmaDecay(decay: number, t: number): number {
  return Math.min(decay, (1 + t) / (10 + t));
}

/**
 * One replica of the model and its optimizer, split at the point where data-parallel training exchanges data:
 * `gradients` writes a flat gradient (all trainable variables, model order) for a local batch, `apply` takes a flat
 * gradient — the local one, or the average of every replica's — and runs Adam on it (in JS, see FlatAdam). Replicas built from the same
 * seed and fed the same flat gradients hold bit-identical weights.
 */
export class GradientStepper {
  readonly model: tf.Sequential;
  readonly size: number;
  private readonly vars: tf.Variable[];
  private readonly optimizer: FlatAdam;
  /** The trainable weights, flat in `vars` order: Adam updates these and writes them back to the variables. */
  private readonly flatWeights: Float32Array;
  /**
   * Exponential moving average of flatWeights (null without EMA); what evaluation and the final model use is
   * averagedWeights(): this itself under 'ramp', this / (1 − decayᵗ) under 'bias-corrected'.
   */
  private readonly emaWeights: Float32Array | null;
  private updates = 0;
  /** decayᵗ after t updates ('bias-corrected' only). */
  private decayPower = 1;

  /**
   * emaDecay > 0 keeps an exponential moving average of the weights, updated after every step; emaWarmup says how
   * it starts (EmaWarmup: TensorFlow's ramp, so the average does not start out dominated by the random initial
   * weights, or a constant decay with bias correction).
   */
  constructor(
    layers: readonly LayerSpec[], seed: number, private readonly labelSmoothing = 0, private readonly emaDecay = 0,
    private readonly emaWarmup: EmaWarmup = 'ramp', batchNorm = false,
  ) {
    // batchNorm: the training form with a normalization after every conv2d (buildModel); batch-norm.ts folds it.
    this.model = buildModel(layers, seed, batchNorm);
    // LayerVariable.read() is the tf.Variable the optimizer updates by name.
    this.vars = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.size = this.vars.reduce((a, v) => a + v.size, 0);
    this.optimizer = new FlatAdam(this.size);
    this.flatWeights = new Float32Array(this.size);
    let off = 0;
    for (const v of this.vars) {
      this.flatWeights.set(v.dataSync() as Float32Array, off);
      off += v.size;
    }
    // The ramp starts the average at the initial weights (its first decay, 2/11, keeps 18 % of them); the
    // bias-corrected average starts at 0, which the division by 1 − dᵗ undoes.
    this.emaWeights = emaDecay <= 0 ? null : emaWarmup === 'ramp' ? Float32Array.from(this.flatWeights) : new Float32Array(this.size);
  }

  /**
   * out ← scale · ∇(mean loss over the n samples in x); returns the batch's loss sum and correct count.
   * With n = 0 (a worker with no share of a short last batch) out is all zeros.
   */
  gradients(x: Float32Array, labels: Int32Array, n: number, scale: number, out: Float32Array): StepStats {
    if (n === 0) {
      out.fill(0);
      return { lossSum: 0, correct: 0 };
    }
    let lossSum = 0;
    let correct = 0;
    tf.tidy(() => {
      const xs = tf.tensor4d(x.subarray(0, n * 784), [n, 28, 28, 1]);
      const ys = tf.oneHot(tf.tensor1d(labels.subarray(0, n), 'int32'), 10);
      let logits: tf.Tensor | null = null;
      const { value, grads } = tf.variableGrads(() => {
        // keep: variableGrads disposes what its function makes, and the batch accuracy needs the logits.
        logits = tf.keep(this.model.apply(xs, { training: true }) as tf.Tensor);
        return tf.losses.softmaxCrossEntropy(ys, logits, undefined, this.labelSmoothing) as tf.Scalar;
      }, this.vars);
      lossSum = value.dataSync()[0] * n;
      const pred = tf.argMax(logits as unknown as tf.Tensor, 1).dataSync();
      for (let k = 0; k < n; k++) if (pred[k] === labels[k]) correct++;
      let off = 0;
      for (const v of this.vars) {
        const g = grads[v.name].dataSync() as Float32Array;
        if (scale === 1) out.set(g, off);
        else for (let i = 0; i < g.length; i++) out[off + i] = g[i] * scale;
        off += g.length;
      }
      tf.dispose(logits as unknown as tf.Tensor);
    });
    return { lossSum, correct };
  }

  apply(flat: Float32Array, lr: number): void {
    this.optimizer.update(this.flatWeights, flat, lr);
    const ema = this.emaWeights;
    if (ema) {
      this.updates++;
      const d = this.emaWarmup === 'ramp' ? rampedEmaDecay(this.emaDecay, this.updates) : this.emaDecay;
      this.decayPower *= d;
      const w = this.flatWeights;
      for (let i = 0; i < w.length; i++) ema[i] = d * ema[i] + (1 - d) * w[i];
    }
    this.load(this.flatWeights);
  }

  /** The weights a user gets: the moving average (bias-corrected when so set), or the trained weights without one. */
  private averagedWeights(): Float32Array {
    const ema = this.emaWeights;
    if (!ema) return this.flatWeights;
    if (this.emaWarmup === 'ramp') return ema;
    // No update yet: an average of nothing; the weights as they are.
    if (this.updates === 0) return this.flatWeights;
    const gathered = 1 - this.decayPower;
    const out = new Float32Array(ema.length);
    for (let i = 0; i < ema.length; i++) out[i] = ema[i] / gathered;
    return out;
  }

  private load(flat: Float32Array): void {
    let off = 0;
    for (const v of this.vars) {
      // slice, not subarray: the cpu backend keeps the array it is given, and flatWeights changes every step.
      tf.tidy(() => v.assign(tf.tensor(flat.slice(off, off + v.size), v.shape)));
      off += v.size;
    }
  }

  /**
   * Runs f with the model holding the weights a user gets (the moving average when there is one, else the trained
   * weights), then puts the trained weights back so training can go on.
   */
  withEvaluationWeights<T>(f: (model: tf.Sequential) => T): T {
    if (!this.emaWeights) return f(this.model);
    this.load(this.averagedWeights());
    try {
      return f(this.model);
    } finally {
      this.load(this.flatWeights);
    }
  }

  /** The weights being trained, in model.getWeights() order, as plain arrays (what the replicas hash). */
  weightValues(): Float32Array[] {
    return this.model.getWeights().map((t) => Float32Array.from(t.dataSync() as Float32Array));
  }

  /** The weights a user gets (moving average, or trained), in model.getWeights() order. */
  evaluationWeightValues(): Float32Array[] {
    return this.withEvaluationWeights(() => this.weightValues());
  }

  /**
   * The weights a user gets, per trainable variable in model.trainableWeights order (what batch-norm.ts folds; the
   * same as evaluationWeightValues() for a model without non-trainable weights).
   */
  evaluationTrainableValues(): Float32Array[] {
    const flat = this.averagedWeights();
    const out: Float32Array[] = [];
    let off = 0;
    for (const v of this.vars) {
      out.push(flat.slice(off, off + v.size));
      off += v.size;
    }
    return out;
  }

  /** Leaves the model holding its evaluation weights for good (the end of training). */
  finish(): tf.Sequential {
    if (this.emaWeights) this.load(this.averagedWeights());
    return this.model;
  }

  dispose(): void {
    // Nothing but the model's own variables lives in the tfjs engine (Adam's moments are JS arrays).
  }
}

/** FNV-1a over the bits of every weight: replicas that agree to the last bit have the same hash. */
export function weightsHash(values: readonly Float32Array[]): string {
  let h = 0x811c9dc5;
  for (const v of values) {
    const u = new Uint32Array(v.buffer, v.byteOffset, v.length);
    for (let i = 0; i < u.length; i++) h = Math.imul(h ^ u[i], 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
