/**
 * The int8 model artifact (`model.int8.json`), format "edge-digits-int8" version 1; see docs/model-format.md.
 * Everything an integer-only engine needs is precomputed here ("prepare" at conversion time, as TFLite Micro
 * does in its Prepare step), so the simulator and the C engine only evaluate.
 */
export const ARTIFACT_FORMAT = 'edge-digits-int8';
export const ARTIFACT_VERSION = 1;

/** real = scale · (q − zeroPoint) */
export interface QuantParams { readonly scale: number; readonly zeroPoint: number }

/** Per-output-channel requantization: acc → MultiplyByQuantizedMultiplier(acc, multiplier[c], shift[c]) + outZp. */
export interface Requant {
  readonly multipliers: number[];
  readonly shifts: number[];
}

interface LayerBase {
  readonly name: string;
  /** NHWC without batch: [h, w, c] for spatial tensors, [n] for vectors. */
  readonly inShape: number[];
  readonly outShape: number[];
  readonly input: QuantParams;
  readonly output: QuantParams;
  /** Fused activation as an int8 clamp on the output (ReLU → [outZp, 127], none → [−128, 127]). */
  readonly activationMin: number;
  readonly activationMax: number;
}

export interface Conv2DLayer extends LayerBase, Requant {
  readonly op: 'conv2d';
  readonly kernel: [number, number];
  readonly stride: [number, number];
  /** Zero padding before the first row / column (TFLite 'same' puts the extra pad at the end). */
  readonly padTop: number;
  readonly padLeft: number;
  readonly activation: 'relu' | 'none';
  /** Symmetric per-output-channel weights, layout [outC][kh][kw][inC] (TFLite OHWI), values in [−127, 127]. */
  readonly weights: number[];
  readonly weightScales: number[];
  /** int32, scale input.scale · weightScales[c], zero point 0. */
  readonly bias: number[];
}

export interface MaxPoolLayer extends LayerBase {
  readonly op: 'maxpool';
  readonly pool: [number, number];
  readonly stride: [number, number];
}

export interface DenseLayer extends LayerBase, Requant {
  readonly op: 'dense';
  readonly activation: 'relu' | 'none';
  /** Symmetric per-output-channel weights, layout [units][inputs] (TFLite FullyConnected). */
  readonly weights: number[];
  readonly weightScales: number[];
  readonly bias: number[];
}

/**
 * TFLite LOGISTIC (sigmoid), element-wise: output scale 1/256, zero point −128 (fixed by the int8 spec), shape and
 * clamp [−128, 127] unchanged. The three numbers are TFLM's prepare for the input scale (src/quantize/logistic.ts).
 */
export interface LogisticLayer extends LayerBase {
  readonly op: 'logistic';
  /** round(frexp(input.scale · 2^27).fraction · 2^31), in [2^30, 2^31). */
  readonly inputMultiplier: number;
  /** frexp(input.scale · 2^27).exponent, 0..30. */
  readonly inputLeftShift: number;
  /** floor(15 · 2^27 / 2^inputLeftShift): |q − zero point| at or beyond it saturates. */
  readonly inputRangeRadius: number;
}

export type QuantLayer = Conv2DLayer | MaxPoolLayer | DenseLayer | LogisticLayer;

export interface Calibration {
  readonly method: 'minmax' | 'percentile';
  readonly percentile?: number;
  readonly images: number;
  readonly source: string;
  readonly candidates: { method: string; percentile?: number; accuracy: number; images: number }[];
}

export interface Int8Model {
  readonly format: typeof ARTIFACT_FORMAT;
  readonly version: typeof ARTIFACT_VERSION;
  readonly name: string;
  readonly source: { readonly model: string; readonly sha256: string };
  readonly input: { readonly shape: number[]; readonly scale: number; readonly zeroPoint: number };
  readonly output: { readonly shape: number[]; readonly scale: number; readonly zeroPoint: number };
  readonly layers: QuantLayer[];
  readonly calibration: Calibration;
  readonly params: number;
  readonly macs: number;
  /** Accuracy measured by the simulator at conversion time, when known. */
  readonly metrics?: { readonly floatAccuracy: number; readonly int8Accuracy: number; readonly agreementWithFloat: number; readonly images: number; readonly data: string };
}

/** Input mapping fixed by the format: pixel p ∈ 0..255 → q = p − 128, i.e. scale 1/255, zero point −128. */
export const INPUT_SCALE = 1 / 255;
export const INPUT_ZERO_POINT = -128;
