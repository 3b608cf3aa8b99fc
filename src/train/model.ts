import * as tf from '@tensorflow/tfjs';
import { TrainingBatchNorm } from './batch-norm-layer.js';
import { NormalizedConv2D } from './normalized-conv2d.js';
import type { Activation, LayerSpec } from './presets.js';

function tfActivation(a: Activation): 'relu' | 'linear' | 'sigmoid' {
  return a;
}

/** tfjs's (and Keras's) default; the fold (src/train/batch-norm.ts) uses the same value. */
export const BATCH_NORM_EPSILON = 1e-3;

/**
 * Builds the tfjs model for a layer list; outputs logits (softmax lives in the loss). Seeded initializers.
 * batchNorm: every conv2d is built without bias or activation (NormalizedConv2D) and followed by a batch normalization
 * (TrainingBatchNorm: tf.layers.batchNormalization's computation with a faster gradient) and the conv's activation: the training form of
 * a model that is folded back into the plain layers on export (batch-norm.ts). The conv kernels draw the same seeded
 * initial values either way. Training keeps no moving statistics (the fold recomputes the population statistics),
 * so every replica's weights stay identical whatever batch shard each one normalized with.
 */
export function buildModel(layers: readonly LayerSpec[], seed: number, batchNorm = false): tf.Sequential {
  const model = tf.sequential();
  let first = true;
  let s = seed;
  const init = () => tf.initializers.heNormal({ seed: s++ });
  const input = first ? { inputShape: [28, 28, 1] } : {};
  for (const l of layers) {
    const inputShape = first ? input : {};
    first = false;
    if (l.kind === 'conv2d' && batchNorm) {
      // NormalizedConv2D: y = conv2d(x, w) with tf.conv2d's gradient (the first layer computes no image gradient).
      // No bias: the mean subtraction cancels it (its gradient is 0 up to rounding, which Adam would amplify to ±lr
      // steps); the fold supplies the bias instead.
      model.add(new NormalizedConv2D({
        filters: l.filters, kernel: l.kernel, stride: l.stride, padding: l.padding, kernelInitializer: init(),
        ...inputShape,
      }));
      model.add(new TrainingBatchNorm(BATCH_NORM_EPSILON));
      model.add(tf.layers.activation({ activation: tfActivation(l.activation) }));
    } else if (l.kind === 'conv2d') {
      model.add(tf.layers.conv2d({
        ...inputShape, filters: l.filters, kernelSize: l.kernel, strides: l.stride, padding: l.padding,
        activation: tfActivation(l.activation), kernelInitializer: init(), useBias: true, biasInitializer: 'zeros',
      }));
    } else if (l.kind === 'maxpool') {
      model.add(tf.layers.maxPooling2d({ ...inputShape, poolSize: l.size, strides: l.stride, padding: 'valid' }));
    } else if (l.kind === 'flatten') {
      model.add(tf.layers.flatten(inputShape));
    } else {
      model.add(tf.layers.dense({
        ...inputShape, units: l.units, activation: tfActivation(l.activation),
        kernelInitializer: l.activation === 'sigmoid' ? tf.initializers.glorotUniform({ seed: s++ }) : init(),
        biasInitializer: 'zeros',
      }));
    }
  }
  return model;
}
