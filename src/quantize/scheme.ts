import type { QuantParams } from './artifact.js';
import { quantizeMultiplier } from './fixed-point.js';

/** TfLiteRound / std::round: half away from zero (Math.round rounds half toward +∞). */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Asymmetric int8 activation parameters for a real range, as TFLite's converter chooses them: the range is
 * widened to include 0 so that real 0 is exactly representable, scale = (max − min)/255, zero point nudged into
 * [−128, 127]. Scales are stored as float32, like a .tflite flatbuffer, so a TFLite engine derives the same
 * multipliers.
 */
export function activationParams(min: number, max: number): QuantParams {
  const lo = Math.min(0, min);
  const hi = Math.max(0, max);
  if (!(hi > lo)) return { scale: Math.fround(1 / 255), zeroPoint: -128 };
  const scale = Math.fround((hi - lo) / 255);
  const zp = roundHalfAway(-128 - lo / scale);
  return { scale, zeroPoint: Math.min(127, Math.max(-128, zp)) };
}

/**
 * Symmetric per-output-channel int8 weights in [−127, 127] (TFLite's narrow range). An all-zero channel gets
 * scale 1 rather than 0 so its bias (scale input·1) stays representable and nothing divides by zero.
 */
export function quantizeWeightsPerChannel(w: Float32Array, channels: number): { q: Int8Array; scales: number[] } {
  const per = w.length / channels;
  const q = new Int8Array(w.length);
  const scales: number[] = [];
  for (let c = 0; c < channels; c++) {
    let maxAbs = 0;
    for (let i = 0; i < per; i++) maxAbs = Math.max(maxAbs, Math.abs(w[c * per + i]));
    const scale = maxAbs === 0 ? 1 : Math.fround(maxAbs / 127);
    scales.push(scale);
    for (let i = 0; i < per; i++) {
      q[c * per + i] = Math.max(-127, Math.min(127, roundHalfAway(w[c * per + i] / scale)));
    }
  }
  return { q, scales };
}

/** int32 bias with scale input_scale · weight_scale[c] and zero point 0, saturated to int32. */
export function quantizeBias(b: Float32Array, inputScale: number, weightScales: readonly number[]): number[] {
  return Array.from(b, (v, c) => Math.max(INT32_MIN, Math.min(INT32_MAX, roundHalfAway(v / (inputScale * weightScales[c])))));
}

/**
 * Per-channel requantization: effective scale = s_in · s_w[c] / s_out computed in double from the float32 scales
 * (as TFLite Micro's PopulateConvolutionQuantizationParams does), then QuantizeMultiplier.
 */
export function requantization(inputScale: number, weightScales: readonly number[], outputScale: number): { multipliers: number[]; shifts: number[] } {
  const multipliers: number[] = [];
  const shifts: number[] = [];
  for (const ws of weightScales) {
    const m = quantizeMultiplier((inputScale * ws) / outputScale);
    multipliers.push(m.multiplier);
    shifts.push(m.shift);
  }
  return { multipliers, shifts };
}

/** The int8 clamp for a fused activation: ReLU clamps at the quantized real 0. */
export function activationClamp(activation: 'relu' | 'none', out: QuantParams): { activationMin: number; activationMax: number } {
  return activation === 'relu' ? { activationMin: Math.max(-128, out.zeroPoint), activationMax: 127 } : { activationMin: -128, activationMax: 127 };
}
