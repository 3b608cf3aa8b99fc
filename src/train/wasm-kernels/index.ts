import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterIm2col, type BackpropFilterAttrs } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputViaConv, type BackpropInputAttrs } from './conv2d-backprop-input.js';
import { maxPoolGradJs } from './max-pool-grad.js';
import {
  BATCH_NORM_TRAINING_BACKWARD, BATCH_NORM_TRAINING_FORWARD, batchNormTrainingBackwardJs, batchNormTrainingForwardJs,
} from './batch-norm-training.js';

export { conv2dBackpropFilterIm2col } from './conv2d-backprop-filter.js';
export { conv2dBackpropInputViaConv } from './conv2d-backprop-input.js';
export { maxPoolGradJs } from './max-pool-grad.js';
export {
  BATCH_NORM_TRAINING_BACKWARD, BATCH_NORM_TRAINING_FORWARD, batchNormTrainingBackwardJs, batchNormTrainingForwardJs,
} from './batch-norm-training.js';
export { im2colTransposed, type Im2ColGeometry } from './im2col.js';

type MaxPoolGradAttrs = Parameters<typeof maxPoolGradJs>[2];

let registered = false;

/** Replaces a stock wasm kernel, keeping its setup (cwrap) so the fallback path still works. */
function override(kernelName: string, make: (stock: tf.KernelConfig | undefined) => tf.KernelFunc): void {
  const stock = tf.getKernel(kernelName, 'wasm');
  if (stock) tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ kernelName, backendName: 'wasm', setupFunc: stock?.setupFunc, disposeFunc: stock?.disposeFunc, kernelFunc: make(stock) });
}

/**
 * Registers the training kernels for the wasm backend (idempotent; call before tf.setBackend('wasm') so the stock
 * kernels' setup still runs): the missing Conv2DBackpropFilter, and faster Conv2DBackpropInput (stride 1) and
 * MaxPoolGrad, and the training batch normalization's forward and backward (checked bit for bit against the tfjs op
 * sequence in test/batch-norm-kernel.test.ts). The others are checked against the cpu backend in test/wasm-kernels.test.ts.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  override('Conv2DBackpropFilter', () => ({ inputs, attrs, backend }) =>
    conv2dBackpropFilterIm2col(inputs.x as tf.Tensor, inputs.dy as tf.Tensor, attrs as unknown as BackpropFilterAttrs, backend));
  override('Conv2DBackpropInput', (stock) => (args) => {
    const fast = conv2dBackpropInputViaConv(args.inputs.dy as tf.Tensor4D, args.inputs.filter as tf.Tensor4D, args.attrs as unknown as BackpropInputAttrs);
    if (fast) return fast;
    if (!stock) throw new Error('Conv2DBackpropInput (wasm): only stride 1 NHWC is implemented here and the stock kernel is missing');
    return stock.kernelFunc(args);
  });
  override('MaxPoolGrad', () => ({ inputs, attrs, backend }) =>
    maxPoolGradJs(inputs.dy as tf.Tensor, inputs.input as tf.Tensor, attrs as unknown as MaxPoolGradAttrs, backend));
  // The training batch normalization's own kernels (no stock kernel of these names; batch-norm-layer.ts calls them).
  tf.registerKernel({
    kernelName: BATCH_NORM_TRAINING_FORWARD, backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => batchNormTrainingForwardJs(
      inputs.x as tf.Tensor, inputs.gamma as tf.Tensor, inputs.beta as tf.Tensor, (attrs as unknown as { epsilon: number }).epsilon, backend),
  });
  tf.registerKernel({
    kernelName: BATCH_NORM_TRAINING_BACKWARD, backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => batchNormTrainingBackwardJs(inputs.dy as tf.Tensor, inputs.xhat as tf.Tensor, inputs.scale as tf.Tensor, backend),
  });
  registered = true;
}
