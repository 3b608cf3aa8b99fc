import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterIm2col, type BackpropFilterAttrs } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputViaConv, type BackpropInputAttrs } from './conv2d-backprop-input.js';
import { maxPoolGradJs } from './max-pool-grad.js';

export { conv2dBackpropFilterIm2col } from './conv2d-backprop-filter.js';
export { conv2dBackpropInputViaConv } from './conv2d-backprop-input.js';
export { maxPoolGradJs } from './max-pool-grad.js';
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
 * MaxPoolGrad. Each is checked against the cpu backend in test/wasm-kernels.test.ts.
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
  registered = true;
}
