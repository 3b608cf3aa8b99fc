import type { Int8Model, QuantLayer } from './artifact.js';
import { logisticTable } from './logistic.js';
import { convPerChannel, fullyConnectedPerChannel, maxPool, offsetAndPad, transposeToChannelsLast, type RequantParams } from './kernels.js';

/** One prepared step: typed arrays built once, so `run` does integer math only. */
type Step = (input: Int8Array, output: Int8Array) => void;

interface PreparedLayer { readonly step: Step; readonly outSize: number }

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function requantParams(l: Extract<QuantLayer, { op: 'conv2d' | 'dense' }>): RequantParams {
  return {
    bias: Int32Array.from(l.bias),
    multipliers: Int32Array.from(l.multipliers),
    shifts: Int32Array.from(l.shifts),
    outputZeroPoint: l.output.zeroPoint,
    activationMin: l.activationMin,
    activationMax: l.activationMax,
  };
}

function prepare(l: QuantLayer): PreparedLayer {
  const outSize = size(l.outShape);
  if (l.op === 'conv2d') {
    const [h, w, c] = l.inShape;
    const [oh, ow, oc] = l.outShape;
    const [kh, kw] = l.kernel;
    const [sh, sw] = l.stride;
    // Rows/columns the windows reach past the input end are zero padding too ('same' pads at the end).
    const padBottom = Math.max(0, (oh - 1) * sh + kh - h - l.padTop);
    const padRight = Math.max(0, (ow - 1) * sw + kw - w - l.padLeft);
    const ph = h + l.padTop + padBottom;
    const pw = w + l.padLeft + padRight;
    const padded = new Int32Array(ph * pw * c);
    const weights = transposeToChannelsLast(l.weights, oc);
    const acc = new Int32Array(oc);
    const r = requantParams(l);
    const g = { inH: ph, inW: pw, inC: c, outH: oh, outW: ow, outC: oc, kH: kh, kW: kw, strideH: sh, strideW: sw };
    return {
      outSize,
      step: (input, output) => {
        offsetAndPad(input, h, w, c, l.input.zeroPoint, l.padTop, l.padLeft, padBottom, padRight, padded);
        convPerChannel(padded, weights, g, r, acc, output);
      },
    };
  }
  if (l.op === 'logistic') {
    // The op depends on the int8 input alone: evaluate TFLM's fixed-point formula for all 256 inputs once.
    const table = logisticTable(l.input.zeroPoint, l);
    return {
      outSize,
      step: (input, output) => {
        for (let i = 0; i < outSize; i++) output[i] = table[input[i] + 128];
      },
    };
  }
  if (l.op === 'maxpool') {
    const [, w, c] = l.inShape;
    const [oh, ow] = l.outShape;
    return {
      outSize,
      step: (input, output) => maxPool(input, w, c, l.pool[0], l.pool[1], l.stride[0], l.stride[1], oh, ow, l.activationMin, l.activationMax, output),
    };
  }
  const n = size(l.inShape);
  const units = l.outShape[0];
  const x = new Int32Array(n);
  const weights = transposeToChannelsLast(l.weights, units);
  const acc = new Int32Array(units);
  const r = requantParams(l);
  return {
    outSize,
    step: (input, output) => {
      for (let i = 0; i < n; i++) x[i] = input[i] - l.input.zeroPoint;
      fullyConnectedPerChannel(x, weights, n, units, r, acc, output);
    },
  };
}

export interface Simulation { readonly logits: Int8Array; readonly digit: number }

/**
 * The reference int8 engine. Integer arithmetic only in `classify`; buffers are reused across calls, so one
 * Simulator is not re-entrant (create one per concurrent user).
 */
export class Simulator {
  private readonly layers: PreparedLayer[];
  private readonly buffers: Int8Array[];
  private readonly inputQ = new Int8Array(784);
  readonly outputSize: number;

  constructor(readonly model: Int8Model) {
    this.layers = model.layers.map(prepare);
    this.buffers = this.layers.map((l) => new Int8Array(l.outSize));
    this.outputSize = this.layers[this.layers.length - 1].outSize;
  }

  /** Writes the int8 logits for one 28×28 uint8 image into `logits` and returns the argmax (first on ties). */
  classifyInto(pixels: Uint8Array, logits: Int8Array): number {
    if (pixels.length !== 784) throw new RangeError(`classify: expected 784 pixels, got ${pixels.length}`);
    const q = this.inputQ;
    for (let i = 0; i < 784; i++) q[i] = pixels[i] - 128;
    let cur: Int8Array = q;
    for (let i = 0; i < this.layers.length; i++) {
      this.layers[i].step(cur, this.buffers[i]);
      cur = this.buffers[i];
    }
    let best = 0;
    for (let i = 0; i < cur.length; i++) {
      logits[i] = cur[i];
      if (cur[i] > cur[best]) best = i;
    }
    return best;
  }

  classify(pixels: Uint8Array): Simulation {
    const logits = new Int8Array(this.outputSize);
    const digit = this.classifyInto(pixels, logits);
    return { logits, digit };
  }

  /** Logits for `count` images stored back to back; returns [count × 10] int8 and the predicted digits. */
  classifyMany(images: Uint8Array, count: number): { logits: Int8Array; digits: Uint8Array } {
    const logits = new Int8Array(count * this.outputSize);
    const digits = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      digits[i] = this.classifyInto(images.subarray(i * 784, i * 784 + 784), logits.subarray(i * this.outputSize, (i + 1) * this.outputSize));
    }
    return { logits, digits };
  }
}
