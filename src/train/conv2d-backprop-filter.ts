import * as tf from '@tensorflow/tfjs';

/**
 * The first wasm filter gradient, kept as a second independent reference for the tests (the registered kernel is
 * the faster im2col one in wasm-kernels/). The wasm backend has no Conv2DBackpropFilter kernel. The filter gradient
 *   dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·s + kh − padTop, ow·s + kw − padLeft, ci] · dy[b,oh,ow,co]
 * is itself a convolution: treat input channels as the batch and the batch as channels, i.e. convolve
 * transpose(x,[3,1,2,0]) (shape [ci,H,W,B]) with transpose(dy,[1,2,0,3]) (filter [OH,OW,B,co]) at stride 1 and
 * dilation = the forward stride. The result [ci,KH,KW,co] is transposed back to [KH,KW,ci,co].
 */
export function conv2dBackpropFilterViaConv(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number],
  pad: 'same' | 'valid' | number,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode);
    const [kh, kw] = [info.filterHeight, info.filterWidth];
    const [sh, sw] = [info.strideHeight, info.strideWidth];
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    // The input rows the gradient touches: (OH−1)·s + KH, starting at −padTop.
    const needH = (info.outHeight - 1) * sh + kh;
    const needW = (info.outWidth - 1) * sw + kw;
    const bottom = Math.max(0, needH - top - x.shape[1]);
    const right = Math.max(0, needW - left - x.shape[2]);
    let xp: tf.Tensor4D = x;
    if (top > 0 || left > 0 || bottom > 0 || right > 0) xp = tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]);
    // Rows beyond needH never meet dy; cropping keeps the conv output exactly KH×KW.
    xp = tf.slice(xp, [0, 0, 0, 0], [xp.shape[0], needH, needW, xp.shape[3]]);
    const xT = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D;
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    const g = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', [sh, sw]);
    return tf.transpose(g, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}
