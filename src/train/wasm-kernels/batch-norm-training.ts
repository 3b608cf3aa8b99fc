import * as tf from '@tensorflow/tfjs';
import { asWasmHeapBackend, float32View } from './heap.js';

/**
 * Training batch normalization (batch-norm-layer.ts) as two JS kernels on the wasm heap, forward and backward, each
 * a few passes over x instead of ~13 tfjs ops (each a pass, the reductions with a transpose first).
 * x: [N, H, W, C], statistics per channel c over the M = N·H·W positions p (in memory order), float32 throughout:
 *
 *   forward:   μ = (Σ_p x) / M,  d = x − μ,  σ² = (Σ_p d²) / M,  r = 1/√(σ² + ε)
 *              x̂ = d·r,  y = x̂·γ + β,  s = γ·r                                     → y, x̂, s
 *   backward:  ∂β = Σ_p dy,  ∂γ = Σ_p dy·x̂
 *              ∂x = ((dy − ∂β/M) − x̂·(∂γ/M))·s                                       → ∂x, ∂γ, ∂β
 *
 * Bit for bit the tfjs wasm op sequence batchNormTraining ran before (test/batch-norm.test.ts compares them): every
 * elementwise op there (Sub, Square, Mul, Add, RealDiv: XNNPACK or a scalar loop) is one IEEE float32 operation per
 * element, reproduced here as a double operation rounded to float32 (exact for +, −, ×, ÷ and √ of float32 operands);
 * the wasm Sum and Mean kernels transpose the channel axis to the front and add each channel's M values one by one
 * into a float32 accumulator from 0, in position order (tfjs-backend-wasm src/cc/kernels/Sum.cc, Mean.cc), Mean then
 * divides by M as a float32; Rsqrt is 1/sqrt(x) in float32 (src/cc/kernels/Rsqrt.cc). Float32Array stores do the
 * rounding of the accumulators.
 */
export const BATCH_NORM_TRAINING_FORWARD = 'EdgeDigitsBatchNormTrainingForward';
export const BATCH_NORM_TRAINING_BACKWARD = 'EdgeDigitsBatchNormTrainingBackward';

const KERNEL = 'BatchNormTraining (wasm JS)';
const f32 = Math.fround;

function channelsOf(x: tf.TensorInfo): { channels: number; positions: number; size: number } {
  if (x.shape.length !== 4) throw new Error(`${KERNEL}: x must be [N, H, W, C], got [${x.shape.join(', ')}]`);
  const channels = x.shape[3];
  const size = x.shape.reduce((a, b) => a * b, 1);
  return { channels, positions: size / channels, size };
}

/** The forward pass: returns y, x̂ (shape of x) and s = γ/√(σ² + ε) ([C]). */
export function batchNormTrainingForwardJs(
  x: tf.TensorInfo, gamma: tf.TensorInfo, beta: tf.TensorInfo, epsilon: number, backendArg: unknown,
): [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo] {
  const backend = asWasmHeapBackend(backendArg, KERNEL);
  const { channels: C, positions: M, size } = channelsOf(x);
  const yOut = backend.makeOutput([...x.shape], 'float32');
  const xhatOut = backend.makeOutput([...x.shape], 'float32');
  const scaleOut = backend.makeOutput([C], 'float32');
  // Views after the last allocation (an allocation may grow the heap and detach earlier views).
  const xv = float32View(backend, x, KERNEL);
  const g = float32View(backend, gamma, KERNEL);
  const b = float32View(backend, beta, KERNEL);
  const y = float32View(backend, yOut, KERNEL);
  const xhat = float32View(backend, xhatOut, KERNEL);
  const scale = float32View(backend, scaleOut, KERNEL);
  const eps = f32(epsilon);
  const mean = new Float32Array(C);
  const rstd = new Float32Array(C);
  if (C % 4 === 0) {
    forwardBlocked(xv, g, b, y, xhat, mean, rstd, C, M, size, eps);
  } else {
    forwardAnyChannels(xv, g, b, y, xhat, mean, rstd, C, M, size, eps);
  }
  for (let c = 0; c < C; c++) scale[c] = g[c] * rstd[c];
  return [yOut, xhatOut, scaleOut];
}

/** The backward pass from dy and the forward's x̂ and s: returns ∂x, ∂γ, ∂β. */
export function batchNormTrainingBackwardJs(
  dy: tf.TensorInfo, xhatIn: tf.TensorInfo, scaleIn: tf.TensorInfo, backendArg: unknown,
): [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo] {
  const backend = asWasmHeapBackend(backendArg, KERNEL);
  const { channels: C, positions: M, size } = channelsOf(dy);
  const dxOut = backend.makeOutput([...dy.shape], 'float32');
  const dGammaOut = backend.makeOutput([C], 'float32');
  const dBetaOut = backend.makeOutput([C], 'float32');
  const g = float32View(backend, dy, KERNEL);
  const xhat = float32View(backend, xhatIn, KERNEL);
  const scale = float32View(backend, scaleIn, KERNEL);
  const dx = float32View(backend, dxOut, KERNEL);
  const dGamma = float32View(backend, dGammaOut, KERNEL);
  const dBeta = float32View(backend, dBetaOut, KERNEL);
  if (C % 4 === 0) {
    backwardBlocked(g, xhat, scale, dx, dGamma, dBeta, C, M, size);
  } else {
    backwardAnyChannels(g, xhat, scale, dx, dGamma, dBeta, C, M, size);
  }
  return [dxOut, dGammaOut, dBetaOut];
}

/**
 * The passes for any channel count, position by position (the accumulators in Float32Arrays, which round every sum).
 * μ and r out, y and x̂ written.
 */
function forwardAnyChannels(
  x: Float32Array, g: Float32Array, b: Float32Array, y: Float32Array, xhat: Float32Array, mean: Float32Array, rstd: Float32Array,
  C: number, M: number, size: number, eps: number,
): void {
  const acc = new Float32Array(C);
  for (let i = 0; i < size; i += C) for (let c = 0; c < C; c++) acc[c] += x[i + c];
  for (let c = 0; c < C; c++) mean[c] = acc[c] / M;
  acc.fill(0);
  for (let i = 0; i < size; i += C) {
    for (let c = 0; c < C; c++) {
      const d = f32(x[i + c] - mean[c]);
      acc[c] += f32(d * d);
    }
  }
  for (let c = 0; c < C; c++) rstd[c] = 1 / f32(Math.sqrt(f32(f32(acc[c] / M) + eps)));
  for (let i = 0; i < size; i += C) {
    for (let c = 0; c < C; c++) {
      const v = f32(f32(x[i + c] - mean[c]) * rstd[c]);
      xhat[i + c] = v;
      y[i + c] = f32(v * g[c]) + b[c];
    }
  }
}

/**
 * The same passes, four channels at a time with their running sums and per-channel constants in locals (C a multiple
 * of 4, as every cnn preset layer): each channel's values are still added in position order, so the same bits; ~3×
 * faster in V8 than the loops above, which load and store the accumulators every element.
 */
function forwardBlocked(
  x: Float32Array, g: Float32Array, b: Float32Array, y: Float32Array, xhat: Float32Array, mean: Float32Array, rstd: Float32Array,
  C: number, M: number, size: number, eps: number,
): void {
  for (let c = 0; c < C; c += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = c; i < size; i += C) {
      s0 = f32(s0 + x[i]);
      s1 = f32(s1 + x[i + 1]);
      s2 = f32(s2 + x[i + 2]);
      s3 = f32(s3 + x[i + 3]);
    }
    const m0 = f32(s0 / M);
    const m1 = f32(s1 / M);
    const m2 = f32(s2 / M);
    const m3 = f32(s3 / M);
    mean[c] = m0;
    mean[c + 1] = m1;
    mean[c + 2] = m2;
    mean[c + 3] = m3;
    let q0 = 0;
    let q1 = 0;
    let q2 = 0;
    let q3 = 0;
    for (let i = c; i < size; i += C) {
      const d0 = f32(x[i] - m0);
      const d1 = f32(x[i + 1] - m1);
      const d2 = f32(x[i + 2] - m2);
      const d3 = f32(x[i + 3] - m3);
      q0 = f32(q0 + f32(d0 * d0));
      q1 = f32(q1 + f32(d1 * d1));
      q2 = f32(q2 + f32(d2 * d2));
      q3 = f32(q3 + f32(d3 * d3));
    }
    const r0 = f32(1 / f32(Math.sqrt(f32(f32(q0 / M) + eps))));
    const r1 = f32(1 / f32(Math.sqrt(f32(f32(q1 / M) + eps))));
    const r2 = f32(1 / f32(Math.sqrt(f32(f32(q2 / M) + eps))));
    const r3 = f32(1 / f32(Math.sqrt(f32(f32(q3 / M) + eps))));
    rstd[c] = r0;
    rstd[c + 1] = r1;
    rstd[c + 2] = r2;
    rstd[c + 3] = r3;
    const g0 = g[c];
    const g1 = g[c + 1];
    const g2 = g[c + 2];
    const g3 = g[c + 3];
    const b0 = b[c];
    const b1 = b[c + 1];
    const b2 = b[c + 2];
    const b3 = b[c + 3];
    for (let i = c; i < size; i += C) {
      const v0 = f32(f32(x[i] - m0) * r0);
      const v1 = f32(f32(x[i + 1] - m1) * r1);
      const v2 = f32(f32(x[i + 2] - m2) * r2);
      const v3 = f32(f32(x[i + 3] - m3) * r3);
      xhat[i] = v0;
      xhat[i + 1] = v1;
      xhat[i + 2] = v2;
      xhat[i + 3] = v3;
      y[i] = f32(v0 * g0) + b0;
      y[i + 1] = f32(v1 * g1) + b1;
      y[i + 2] = f32(v2 * g2) + b2;
      y[i + 3] = f32(v3 * g3) + b3;
    }
  }
}

function backwardAnyChannels(
  dy: Float32Array, xhat: Float32Array, scale: Float32Array, dx: Float32Array, dGamma: Float32Array, dBeta: Float32Array,
  C: number, M: number, size: number,
): void {
  dGamma.fill(0);
  dBeta.fill(0);
  for (let i = 0; i < size; i += C) {
    for (let c = 0; c < C; c++) {
      dBeta[c] += dy[i + c];
      dGamma[c] += f32(dy[i + c] * xhat[i + c]);
    }
  }
  const meanBeta = new Float32Array(C);
  const meanGamma = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    meanBeta[c] = dBeta[c] / M;
    meanGamma[c] = dGamma[c] / M;
  }
  for (let i = 0; i < size; i += C) {
    for (let c = 0; c < C; c++) {
      dx[i + c] = f32(f32(dy[i + c] - meanBeta[c]) - f32(xhat[i + c] * meanGamma[c])) * scale[c];
    }
  }
}

/** The backward passes four channels at a time (C a multiple of 4; see forwardBlocked). */
function backwardBlocked(
  dy: Float32Array, xhat: Float32Array, scale: Float32Array, dx: Float32Array, dGamma: Float32Array, dBeta: Float32Array,
  C: number, M: number, size: number,
): void {
  for (let c = 0; c < C; c += 4) {
    let b0 = 0;
    let b1 = 0;
    let b2 = 0;
    let b3 = 0;
    let g0 = 0;
    let g1 = 0;
    let g2 = 0;
    let g3 = 0;
    for (let i = c; i < size; i += C) {
      const e0 = dy[i];
      const e1 = dy[i + 1];
      const e2 = dy[i + 2];
      const e3 = dy[i + 3];
      b0 = f32(b0 + e0);
      b1 = f32(b1 + e1);
      b2 = f32(b2 + e2);
      b3 = f32(b3 + e3);
      g0 = f32(g0 + f32(e0 * xhat[i]));
      g1 = f32(g1 + f32(e1 * xhat[i + 1]));
      g2 = f32(g2 + f32(e2 * xhat[i + 2]));
      g3 = f32(g3 + f32(e3 * xhat[i + 3]));
    }
    dBeta[c] = b0;
    dBeta[c + 1] = b1;
    dBeta[c + 2] = b2;
    dBeta[c + 3] = b3;
    dGamma[c] = g0;
    dGamma[c + 1] = g1;
    dGamma[c + 2] = g2;
    dGamma[c + 3] = g3;
    const t0 = f32(b0 / M);
    const t1 = f32(b1 / M);
    const t2 = f32(b2 / M);
    const t3 = f32(b3 / M);
    const u0 = f32(g0 / M);
    const u1 = f32(g1 / M);
    const u2 = f32(g2 / M);
    const u3 = f32(g3 / M);
    const s0 = scale[c];
    const s1 = scale[c + 1];
    const s2 = scale[c + 2];
    const s3 = scale[c + 3];
    for (let i = c; i < size; i += C) {
      dx[i] = f32(f32(dy[i] - t0) - f32(xhat[i] * u0)) * s0;
      dx[i + 1] = f32(f32(dy[i + 1] - t1) - f32(xhat[i + 1] * u1)) * s1;
      dx[i + 2] = f32(f32(dy[i + 2] - t2) - f32(xhat[i + 2] * u2)) * s2;
      dx[i + 3] = f32(f32(dy[i + 3] - t3) - f32(xhat[i + 3] * u3)) * s3;
    }
  }
}
