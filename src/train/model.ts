import * as tf from '@tensorflow/tfjs';
import type { Activation, LayerSpec } from './presets.js';

function tfActivation(a: Activation): 'relu' | 'linear' | 'sigmoid' {
  return a;
}

/** Builds the tfjs model for a layer list; outputs logits (softmax lives in the loss). Seeded initializers. */
export function buildModel(layers: readonly LayerSpec[], seed: number): tf.Sequential {
  const model = tf.sequential();
  let first = true;
  let s = seed;
  const init = () => tf.initializers.heNormal({ seed: s++ });
  const input = first ? { inputShape: [28, 28, 1] } : {};
  for (const l of layers) {
    const inputShape = first ? input : {};
    first = false;
    if (l.kind === 'conv2d') {
      model.add(tf.layers.conv2d({
        ...inputShape, filters: l.filters, kernelSize: l.kernel, strides: l.stride, padding: l.padding,
        activation: tfActivation(l.activation), kernelInitializer: init(), biasInitializer: 'zeros',
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
