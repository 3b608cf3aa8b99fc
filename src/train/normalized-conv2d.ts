/**
 * The convolution before a batch normalization in the training model (buildModel with batchNorm): no bias (the
 * normalization's mean subtraction cancels it) and no activation (it comes after the normalization), so the layer is
 * y = conv2d(x, w) and nothing else:
 *   y[b, i, j, o] = Σ_{kh, kw, c} x[b, i·s + kh − pad, j·s + kw − pad, c] · w[kh, kw, c, o]
 *   ∂w = Conv2DBackpropFilter(x, ∂y),   ∂x = Conv2DBackpropInput(∂y, w)
 * tf.layers.conv2d computes the same thing through tf.fused.conv2d, whose gradient (a customGrad) computes ∂x and ∂w
 * together, also for the first layer, whose ∂x (the image's gradient) nobody uses (~11 % of a step). tf.conv2d's
 * registered gradient computes each input's gradient only when the tape asks for it, so here the first layer's ∂x is
 * never computed. The same kernels on the same tensors as before (FusedConv2D without bias or activation, and the
 * same two backprop kernels): the same bits (test/batch-norm.test.ts pins a run's weights).
 */
import * as tf from '@tensorflow/tfjs';

export interface NormalizedConv2DArgs {
  readonly filters: number;
  readonly kernel: number;
  readonly stride: number;
  readonly padding: 'valid' | 'same';
  readonly kernelInitializer: ReturnType<typeof tf.initializers.heNormal>;
  readonly inputShape?: number[];
}

export class NormalizedConv2D extends tf.layers.Layer {
  static readonly className = 'NormalizedConv2D';
  private kernelWeight: tf.LayerVariable | null = null;

  constructor(private readonly a: NormalizedConv2DArgs) {
    super(a.inputShape ? { inputShape: a.inputShape } : {});
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1] as number;
    // The name, shape and initializer of tf.layers.conv2d's kernel: the same seeded initial values.
    this.kernelWeight = this.addWeight('kernel', [this.a.kernel, this.a.kernel, channels, this.a.filters], 'float32', this.a.kernelInitializer);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, h, w] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const out = (size: number | null): number | null => {
      if (size === null) return null;
      return this.a.padding === 'same' ? Math.ceil(size / this.a.stride) : Math.ceil((size - this.a.kernel + 1) / this.a.stride);
    };
    return [n, out(h), out(w), this.a.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    if (!this.kernelWeight) throw new Error('NormalizedConv2D used before build');
    return tf.conv2d(x, this.kernelWeight.read() as tf.Tensor4D, this.a.stride, this.a.padding);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), filters: this.a.filters, kernel: this.a.kernel, stride: this.a.stride, padding: this.a.padding };
  }
}
