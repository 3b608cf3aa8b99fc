import * as tf from '@tensorflow/tfjs';

/** Float logits for uint8 28×28 images (scaled to 0..1 as in training), batched to bound memory. */
export function predictFloatLogits(model: tf.LayersModel, images: Uint8Array, count: number, batch = 500): Float32Array {
  const out = new Float32Array(count * 10);
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const logits = tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(start * 784, (start + n) * 784), [n, 28, 28, 1], 'float32').div(255);
      return model.predict(x) as tf.Tensor;
    });
    out.set(logits.dataSync() as Float32Array, start * 10);
    logits.dispose();
  }
  return out;
}
