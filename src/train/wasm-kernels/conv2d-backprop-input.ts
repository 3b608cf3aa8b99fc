import * as tf from '@tensorflow/tfjs';

/**
 * Conv2DBackpropInput for the wasm backend, stride 1: the input gradient of a stride-1 convolution is the "full"
 * convolution of dy with the filter rotated by 180° and its channel axes swapped,
 *   dx[b, r, c, ci] = Σ_{i,j,co} dyPad[b, r + i, c + j, co] · w[KH−1−i, KW−1−j, ci, co]
 * where dyPad is dy padded by KH−1−padTop rows on top (KW−1−padLeft columns on the left) and enough after to give
 * back the input size. That is one XNNPACK conv2d instead of tfjs-backend-wasm's scalar loop (~6× faster on the
 * cnn preset; docs/training.md). Other strides return null and the caller uses the stock kernel.
 */
export interface BackpropInputAttrs {
  strides: [number, number] | number;
  pad: 'same' | 'valid' | number;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

export function conv2dBackpropInputViaConv(dy: tf.Tensor4D, filter: tf.Tensor4D, a: BackpropInputAttrs): tf.Tensor4D | null {
  const strides: [number, number] = typeof a.strides === 'number' ? [a.strides, a.strides] : a.strides;
  if (a.dataFormat !== 'NHWC' || strides[0] !== 1 || strides[1] !== 1) return null;
  const info = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape, strides, 1, a.pad, a.dimRoundingMode);
  const [kH, kW] = [info.filterHeight, info.filterWidth];
  const top = kH - 1 - info.padInfo.top;
  const left = kW - 1 - info.padInfo.left;
  const bottom = info.inHeight + kH - 1 - info.outHeight - top;
  const right = info.inWidth + kW - 1 - info.outWidth - left;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return null;
  return tf.tidy(() => {
    const wT = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    const padded = top + bottom + left + right > 0 ? tf.pad(dy, [[0, 0], [top, bottom], [left, right], [0, 0]]) : dy;
    return tf.conv2d(padded, wT, 1, 'valid');
  });
}
