/**
 * The training-time batch normalization layer (buildModel with batchNorm). The same computation as
 * tf.layers.batchNormalization over the channel axis, with a hand-written gradient: tfjs-core's batchNorm gradient
 * broadcasts with Tile, which took ~40 % of a wasm training step in the profile (docs/training.md); the closed form
 * below needs only per-channel sums and broadcast elementwise ops.
 *
 * Training (batch statistics over N·H·W positions, M of them; biased variance, as tfjs and Keras):
 *   x̂ = (x − μ_B)/√(σ²_B + ε),   y = γ·x̂ + β
 *   ∂β = Σ dy,   ∂γ = Σ dy·x̂,   ∂x = γ/√(σ²_B + ε) · (dy − ∂β/M − x̂·∂γ/M)
 * Inference: the same with the layer's stored statistics (set by whoever computed them: batch-norm.ts's fold
 * computes them once over a fixed image slice; training never updates them).
 */
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_TRAINING_BACKWARD, BATCH_NORM_TRAINING_FORWARD } from './wasm-kernels/batch-norm-training.js';

type LayerVariable = tf.LayerVariable;

const AXES = [0, 1, 2];

/**
 * The tfjs op sequence of the normalization and its closed-form gradient (x: [N, H, W, C]): what every backend but
 * wasm runs, and the reference the JS kernels (batchNormTrainingJs) reproduce bit for bit on wasm.
 */
export function batchNormTrainingOps(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor4D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xs, g, b] = args.slice(0, 3) as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    // Not tf.moments: it casts x (a copy on wasm) and subtracts the mean twice.
    const centredX = tf.sub(xs, tf.mean(xs, AXES));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centredX), AXES), epsilon));
    const xhat = tf.mul(centredX, rstd) as tf.Tensor4D;
    const value = tf.add(tf.mul(xhat, g), b) as tf.Tensor4D;
    // customGrad disposes what the forward made unless saved: the gradient needs x̂ and γ/√(σ²_B + ε).
    save([xhat, tf.mul(g, rstd)]);
    const positions = xs.size / xs.shape[3];
    const gradFunc = (dy: tf.Tensor4D, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xh, scale] = saved;
      const dBeta = tf.sum(dy, AXES);
      const dGamma = tf.sum(tf.mul(dy, xh), AXES);
      const centred = tf.sub(tf.sub(dy, tf.div(dBeta, positions)), tf.mul(xh, tf.div(dGamma, positions)));
      return [tf.mul(centred, scale), dGamma, dBeta];
    };
    return { value, gradFunc };
  });
  return op(x, gamma, beta) as tf.Tensor4D;
}

/**
 * The same computation as batchNormTrainingOps in two JS kernels on the wasm heap (wasm-kernels/batch-norm-training.ts:
 * one forward, one backward, each a few passes over x), bit for bit the same on wasm (test/batch-norm-kernel.test.ts);
 * wasm only (the kernels are registered for it by registerWasmTrainingKernels).
 */
export function batchNormTrainingJs(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor4D {
  if (!tf.getKernel(BATCH_NORM_TRAINING_FORWARD, tf.getBackend())) {
    throw new Error(`batchNormTrainingJs: its kernels are registered for the wasm backend only, not ${tf.getBackend()}`);
  }
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xs, g, b] = args.slice(0, 3) as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    const [value, xhat, scale] = tf.engine().runKernel(BATCH_NORM_TRAINING_FORWARD, { x: xs, gamma: g, beta: b }, { epsilon }) as tf.Tensor[];
    save([xhat, scale]);
    const gradFunc = (dy: tf.Tensor4D, saved: tf.Tensor[]): tf.Tensor[] => {
      const [dx, dGamma, dBeta] = tf.engine().runKernel(BATCH_NORM_TRAINING_BACKWARD, { dy, xhat: saved[0], scale: saved[1] }, {}) as tf.Tensor[];
      return [dx, dGamma, dBeta];
    };
    return { value: value as tf.Tensor4D, gradFunc };
  });
  return op(x, gamma, beta) as tf.Tensor4D;
}

let jsKernels = true;

/** Whether batchNormTraining uses the JS kernels on wasm (default on: the same bits, faster); for A/B measurements. */
export function useBatchNormJsKernels(on: boolean): void {
  jsKernels = on;
}

/** y = γ·(x − μ_B)/√(σ²_B + ε) + β over the batch, with the closed-form gradient (x: [N, H, W, C]). */
export function batchNormTraining(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor4D {
  const js = jsKernels && tf.getKernel(BATCH_NORM_TRAINING_FORWARD, tf.getBackend()) !== undefined;
  return js ? batchNormTrainingJs(x, gamma, beta, epsilon) : batchNormTrainingOps(x, gamma, beta, epsilon);
}

/** γ, β (trainable) and the inference statistics (not trainable) per channel of the last axis. */
export class TrainingBatchNorm extends tf.layers.Layer {
  static readonly className = 'TrainingBatchNorm';
  private gamma: LayerVariable | null = null;
  private beta: LayerVariable | null = null;
  private movingMean: LayerVariable | null = null;
  private movingVariance: LayerVariable | null = null;

  constructor(private readonly epsilon: number) {
    super({});
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const c = shape[shape.length - 1] as number;
    this.gamma = this.addWeight('gamma', [c], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [c], 'float32', tf.initializers.zeros());
    this.movingMean = this.addWeight('moving_mean', [c], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [c], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    const [g, b, m, v] = [this.gamma, this.beta, this.movingMean, this.movingVariance].map((w) => {
      if (!w) throw new Error('TrainingBatchNorm used before build');
      return w.read() as tf.Tensor1D;
    });
    return kwargs.training ? batchNormTraining(x, g, b, this.epsilon) : tf.batchNorm(x, m, v, b, g, this.epsilon);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
