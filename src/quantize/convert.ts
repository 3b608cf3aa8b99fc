import { ARTIFACT_FORMAT, ARTIFACT_VERSION, INPUT_SCALE, INPUT_ZERO_POINT, type Calibration, type Int8Model, type QuantLayer, type QuantParams } from './artifact.js';
import { percentileRange, type RangeStats } from './calibrate.js';
import type { FloatOp } from './float-graph.js';
import { LOGISTIC_OUTPUT_SCALE, LOGISTIC_OUTPUT_ZERO_POINT, prepareLogistic } from './logistic.js';
import { activationClamp, activationParams, quantizeBias, quantizeWeightsPerChannel, requantization } from './scheme.js';

export interface RangeChoice { readonly method: 'minmax' | 'percentile'; readonly percentile?: number }

export interface ConvertInput {
  readonly name: string;
  readonly source: { model: string; sha256: string };
  readonly ops: readonly FloatOp[];
  readonly ranges: Map<string, RangeStats>;
  readonly choice: RangeChoice;
  readonly calibration: Omit<Calibration, 'method' | 'percentile'>;
}

function outputRange(op: FloatOp, ranges: Map<string, RangeStats>, choice: RangeChoice, isLogits: boolean): [number, number] {
  const s = ranges.get(op.name);
  if (!s) throw new Error(`no calibration range for layer '${op.name}'`);
  // Clipping the logits could merge the top two classes; they always keep their full range.
  if (choice.method === 'minmax' || isLogits) return [s.min, s.max];
  return percentileRange(s, choice.percentile ?? 99.99);
}

const pad = (inSize: number, k: number, s: number, padding: 'valid' | 'same'): { out: number; before: number } => {
  if (padding === 'valid') return { out: Math.floor((inSize - k) / s) + 1, before: 0 };
  const out = Math.ceil(inSize / s);
  const total = Math.max(0, (out - 1) * s + k - inSize);
  return { out, before: Math.floor(total / 2) };
};

/** Float ops + calibration ranges → the int8 artifact (weights, biases, multipliers, clamps all precomputed). */
export function convertToInt8(c: ConvertInput): Int8Model {
  let shape = [28, 28, 1];
  let q: QuantParams = { scale: Math.fround(INPUT_SCALE), zeroPoint: INPUT_ZERO_POINT };
  const layers: QuantLayer[] = [];
  let params = 0;
  let macs = 0;
  const last = c.ops.length - 1;
  c.ops.forEach((op, i) => {
    if (op.op === 'flatten') {
      shape = [shape.reduce((a, b) => a * b, 1)];
      return;
    }
    if (op.op === 'maxpool') {
      const [h, w, ch] = shape;
      const outShape = [Math.floor((h - op.pool[0]) / op.stride[0]) + 1, Math.floor((w - op.pool[1]) / op.stride[1]) + 1, ch];
      layers.push({ op: 'maxpool', name: op.name, inShape: shape, outShape, input: q, output: q, activationMin: -128, activationMax: 127, pool: op.pool, stride: op.stride });
      shape = outShape;
      return;
    }
    if (op.op === 'logistic') {
      const out: QuantParams = { scale: LOGISTIC_OUTPUT_SCALE, zeroPoint: LOGISTIC_OUTPUT_ZERO_POINT };
      let prepared;
      try {
        prepared = prepareLogistic(q.scale);
      } catch (e) {
        throw new Error(`layer '${op.name}': ${(e as Error).message}`);
      }
      layers.push({ op: 'logistic', name: op.name, inShape: shape, outShape: shape, input: q, output: out, activationMin: -128, activationMax: 127, ...prepared });
      q = out;
      return;
    }
    const [lo, hi] = outputRange(op, c.ranges, c.choice, i === last);
    const out = activationParams(op.activation === 'relu' ? Math.max(0, lo) : lo, hi);
    const channels = op.op === 'conv2d' ? op.filters : op.units;
    const { q: wq, scales } = quantizeWeightsPerChannel(op.weights, channels);
    const bias = quantizeBias(op.bias, q.scale, scales);
    const rq = requantization(q.scale, scales, out.scale);
    const clamp = activationClamp(op.activation, out);
    params += op.weights.length + op.bias.length;
    if (op.op === 'conv2d') {
      if (shape.length !== 3) throw new Error(`layer '${op.name}': conv2d needs a [h, w, c] input, got [${shape.join(', ')}]`);
      const [h, w, ch] = shape;
      const py = pad(h, op.kernel[0], op.stride[0], op.padding);
      const px = pad(w, op.kernel[1], op.stride[1], op.padding);
      const outShape = [py.out, px.out, op.filters];
      macs += py.out * px.out * op.filters * op.kernel[0] * op.kernel[1] * ch;
      layers.push({
        op: 'conv2d', name: op.name, inShape: shape, outShape, input: q, output: out, ...clamp,
        kernel: op.kernel, stride: op.stride, padTop: py.before, padLeft: px.before, activation: op.activation,
        weights: Array.from(wq), weightScales: scales, bias, ...rq,
      });
      shape = outShape;
    } else {
      const n = shape.reduce((a, b) => a * b, 1);
      if (op.weights.length !== n * op.units) throw new Error(`layer '${op.name}': dense expects ${op.weights.length / op.units} inputs, the previous layer gives ${n}`);
      macs += n * op.units;
      layers.push({
        op: 'dense', name: op.name, inShape: [n], outShape: [op.units], input: q, output: out, ...clamp,
        activation: op.activation, weights: Array.from(wq), weightScales: scales, bias, ...rq,
      });
      shape = [op.units];
    }
    q = out;
  });
  return {
    format: ARTIFACT_FORMAT,
    version: ARTIFACT_VERSION,
    name: c.name,
    source: c.source,
    input: { shape: [28, 28, 1], scale: Math.fround(INPUT_SCALE), zeroPoint: INPUT_ZERO_POINT },
    output: { shape, scale: q.scale, zeroPoint: q.zeroPoint },
    layers,
    calibration: { ...c.calibration, method: c.choice.method, ...(c.choice.percentile !== undefined ? { percentile: c.choice.percentile } : {}) },
    params,
    macs,
  };
}
