import * as tf from '@tensorflow/tfjs';

/** The float model reduced to the ops the int8 engine supports, with weights as plain arrays. */
export type FloatOp =
  | { op: 'conv2d'; name: string; kernel: [number, number]; stride: [number, number]; padding: 'valid' | 'same'; activation: 'relu' | 'none'; filters: number; weights: Float32Array; bias: Float32Array; layerIndex: number }
  | { op: 'maxpool'; name: string; pool: [number, number]; stride: [number, number]; layerIndex: number }
  | { op: 'flatten'; name: string; layerIndex: number }
  | { op: 'dense'; name: string; units: number; activation: 'relu' | 'none'; weights: Float32Array; bias: Float32Array; layerIndex: number; preActivation?: boolean }
  /** Element-wise sigmoid (TFLite LOGISTIC); output quantization fixed at 1/256, −128, so it needs no range. */
  | { op: 'logistic'; name: string; layerIndex: number };

export class UnsupportedModelError extends Error {
  constructor(layer: string, detail: string) {
    super(`layer '${layer}': ${detail} — the int8 engine supports conv2d (valid/same, relu or linear), max-pool (valid), flatten, dense (relu, linear or sigmoid) and a sigmoid activation layer`);
    this.name = 'UnsupportedModelError';
  }
}

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)]);

function activationOf(name: string, cfg: tf.serialization.ConfigDict): 'relu' | 'none' {
  const a = String(cfg.activation ?? 'linear');
  if (a === 'relu') return 'relu';
  if (a === 'linear') return 'none';
  throw new UnsupportedModelError(name, `activation '${a}' has no int8 kernel`);
}

function weightsOf(layer: tf.layers.Layer): { kernel: Float32Array; kernelShape: number[]; bias: Float32Array | null } {
  const w = layer.getWeights();
  const kernel = w[0];
  return { kernel: kernel.dataSync() as Float32Array, kernelShape: kernel.shape, bias: w[1] ? (w[1].dataSync() as Float32Array) : null };
}

/** Reads a sequential tfjs model into FloatOps, rejecting anything the int8 engine cannot run. */
export function readFloatGraph(model: tf.LayersModel): FloatOp[] {
  const inShape = model.inputs[0].shape;
  if (inShape.length !== 4 || inShape[1] !== 28 || inShape[2] !== 28 || inShape[3] !== 1) {
    throw new UnsupportedModelError(model.name, `input shape [${inShape.join(', ')}] is not [batch, 28, 28, 1]`);
  }
  const ops: FloatOp[] = [];
  model.layers.forEach((layer, layerIndex) => {
    const cls = layer.getClassName();
    const cfg = layer.getConfig();
    const name = layer.name;
    if (cls === 'InputLayer') return;
    if (cls === 'Conv2D') {
      if (cfg.dataFormat && cfg.dataFormat !== 'channelsLast') throw new UnsupportedModelError(name, `data format ${String(cfg.dataFormat)}`);
      const dil = pair(cfg.dilationRate ?? 1);
      if (dil[0] !== 1 || dil[1] !== 1) throw new UnsupportedModelError(name, 'dilated convolution');
      const padding = String(cfg.padding);
      if (padding !== 'valid' && padding !== 'same') throw new UnsupportedModelError(name, `padding '${padding}'`);
      const { kernel, kernelShape, bias } = weightsOf(layer);
      const [kh, kw, ic, oc] = kernelShape;
      // tfjs HWIO → TFLite OHWI
      const ohwi = new Float32Array(kernel.length);
      for (let o = 0; o < oc; o++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < ic; i++) {
        ohwi[((o * kh + y) * kw + x) * ic + i] = kernel[((y * kw + x) * ic + i) * oc + o];
      }
      ops.push({ op: 'conv2d', name, kernel: [kh, kw], stride: pair(cfg.strides), padding, activation: activationOf(name, cfg), filters: oc, weights: ohwi, bias: bias ?? new Float32Array(oc), layerIndex });
    } else if (cls === 'MaxPooling2D') {
      if (String(cfg.padding) !== 'valid') throw new UnsupportedModelError(name, `max-pool padding '${String(cfg.padding)}'`);
      const pool = pair(cfg.poolSize);
      ops.push({ op: 'maxpool', name, pool, stride: cfg.strides == null ? pool : pair(cfg.strides), layerIndex });
    } else if (cls === 'Flatten') {
      ops.push({ op: 'flatten', name, layerIndex });
    } else if (cls === 'Dense') {
      const { kernel, kernelShape, bias } = weightsOf(layer);
      const [n, units] = kernelShape;
      const t = new Float32Array(kernel.length);
      for (let u = 0; u < units; u++) for (let i = 0; i < n; i++) t[u * n + i] = kernel[i * units + u];
      if (String(cfg.activation) === 'sigmoid') {
        // TFLite's converter splits Dense(sigmoid) into FULLY_CONNECTED (no fused activation) + LOGISTIC: the
        // dense output is the pre-activation, calibrated on its own range.
        ops.push({ op: 'dense', name, units, activation: 'none', weights: t, bias: bias ?? new Float32Array(units), layerIndex, preActivation: true });
        ops.push({ op: 'logistic', name: `${name}/sigmoid`, layerIndex });
      } else {
        ops.push({ op: 'dense', name, units, activation: activationOf(name, cfg), weights: t, bias: bias ?? new Float32Array(units), layerIndex });
      }
    } else if (cls === 'Activation' && String(cfg.activation) === 'sigmoid') {
      if (ops.length === 0 || ops[ops.length - 1].op === 'flatten') throw new UnsupportedModelError(name, 'a sigmoid must follow a conv2d, max-pool or dense layer');
      ops.push({ op: 'logistic', name, layerIndex });
    } else {
      throw new UnsupportedModelError(name, `layer type ${cls}`);
    }
  });
  if (ops.length === 0 || ops[ops.length - 1].op !== 'dense') throw new UnsupportedModelError(model.name, 'the last layer must be dense (the logits)');
  return ops;
}
