import { readFileSync } from 'node:fs';
import { ARTIFACT_FORMAT, ARTIFACT_VERSION, type Int8Model } from './artifact.js';
import { LOGISTIC_MAX_LEFT_SHIFT, LOGISTIC_MIN_LEFT_SHIFT, LOGISTIC_OUTPUT_SCALE, LOGISTIC_OUTPUT_ZERO_POINT, prepareLogistic } from './logistic.js';

/** A rejected artifact: names the file and the JSON path of the offending field. */
export class ArtifactError extends Error {
  constructor(readonly file: string, readonly field: string, detail: string) {
    super(`${file}: ${field ? `${field}: ` : ''}${detail}`);
    this.name = 'ArtifactError';
  }
}

type Json = unknown;
const isObj = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

class Checker {
  constructor(private readonly file: string) {}
  fail(field: string, detail: string): never {
    throw new ArtifactError(this.file, field, detail);
  }
  obj(v: Json, field: string): Record<string, Json> {
    if (!isObj(v)) this.fail(field, `expected an object, got ${JSON.stringify(v)?.slice(0, 40)}`);
    return v;
  }
  int(v: Json, field: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(field, `expected an integer, got ${JSON.stringify(v)?.slice(0, 40)}`);
    if (v < min || v > max) this.fail(field, `${v} is outside [${min}, ${max}]`);
    return v;
  }
  scale(v: Json, field: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) this.fail(field, `expected a positive finite scale, got ${JSON.stringify(v)}`);
    return v;
  }
  ints(v: Json, field: string, length: number, min: number, max: number): number[] {
    if (!Array.isArray(v)) this.fail(field, 'expected an array');
    if (v.length !== length) this.fail(field, `expected ${length} values, found ${v.length}`);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) this.fail(`${field}[${i}]`, `${JSON.stringify(x)} is not an integer in [${min}, ${max}]`);
    }
    return v as number[];
  }
  shape(v: Json, field: string): number[] {
    if (!Array.isArray(v) || v.length < 1 || v.length > 3) this.fail(field, 'expected a shape of 1 to 3 positive integers');
    return v.map((d, i) => this.int(d, `${field}[${i}]`, 1, 1 << 20));
  }
  sameShape(a: number[], b: number[], field: string, what: string): void {
    if (a.length !== b.length || a.some((x, i) => x !== b[i])) this.fail(field, `[${a.join(', ')}] does not match ${what} [${b.join(', ')}]`);
  }
  quant(v: Json, field: string): { scale: number; zeroPoint: number } {
    const o = this.obj(v, field);
    return { scale: this.scale(o.scale, `${field}.scale`), zeroPoint: this.int(o.zeroPoint, `${field}.zeroPoint`, -128, 127) };
  }
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/**
 * Validates a parsed artifact completely: known format/version, every shape consistent with its neighbours and
 * its op's geometry, every array of the right length, every value in range. Returns it typed.
 */
export function validateArtifact(raw: Json, file: string): Int8Model {
  const c = new Checker(file);
  const m = c.obj(raw, '');
  if (m.format !== ARTIFACT_FORMAT) c.fail('format', `expected "${ARTIFACT_FORMAT}", got ${JSON.stringify(m.format)}`);
  if (m.version !== ARTIFACT_VERSION) c.fail('version', `unsupported version ${JSON.stringify(m.version)}; this edge-digits reads version ${ARTIFACT_VERSION} (re-run 'edge-digits quantize')`);
  if (typeof m.name !== 'string') c.fail('name', 'expected a string');
  const src = c.obj(m.source, 'source');
  if (typeof src.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(src.sha256)) c.fail('source.sha256', 'expected 64 hex digits');
  const input = c.obj(m.input, 'input');
  c.sameShape(c.shape(input.shape, 'input.shape'), [28, 28, 1], 'input.shape', 'the only supported input');
  const iq = c.quant(input, 'input');
  if (iq.zeroPoint !== -128 || Math.abs(iq.scale - 1 / 255) > 1e-9) c.fail('input', `must be scale 1/255, zero point −128 (pixel − 128), got scale ${iq.scale}, zero point ${iq.zeroPoint}`);
  const rawLayers = m.layers;
  if (!Array.isArray(rawLayers) || rawLayers.length === 0) c.fail('layers', 'expected a non-empty array');
  let shape = [28, 28, 1];
  let q = iq;
  (rawLayers as Json[]).forEach((lv, i) => {
    const f = `layers[${i}]`;
    const l = c.obj(lv, f);
    const inShape = c.shape(l.inShape, `${f}.inShape`);
    const outShape = c.shape(l.outShape, `${f}.outShape`);
    const lin = c.quant(l.input, `${f}.input`);
    const lout = c.quant(l.output, `${f}.output`);
    if (size(inShape) !== size(shape) || (inShape.length === 3 && shape.length === 3 && inShape.some((d, k) => d !== shape[k]))) {
      c.fail(`${f}.inShape`, `[${inShape.join(', ')}] does not match the previous output [${shape.join(', ')}]`);
    }
    if (lin.scale !== q.scale || lin.zeroPoint !== q.zeroPoint) c.fail(`${f}.input`, 'does not match the previous layer\'s output quantization');
    const amin = c.int(l.activationMin, `${f}.activationMin`, -128, 127);
    const amax = c.int(l.activationMax, `${f}.activationMax`, -128, 127);
    if (amin > amax) c.fail(`${f}.activationMin`, `${amin} > activationMax ${amax}`);
    if (l.op === 'conv2d' || l.op === 'dense') {
      if (l.activation !== 'relu' && l.activation !== 'none') c.fail(`${f}.activation`, `expected "relu" or "none", got ${JSON.stringify(l.activation)}`);
      let perChannel: number;
      if (l.op === 'conv2d') {
        if (inShape.length !== 3 || outShape.length !== 3) c.fail(`${f}.inShape`, 'conv2d needs [h, w, c] shapes');
        const kernel = c.ints(l.kernel, `${f}.kernel`, 2, 1, 64);
        const stride = c.ints(l.stride, `${f}.stride`, 2, 1, 64);
        const padTop = c.int(l.padTop, `${f}.padTop`, 0, 64);
        const padLeft = c.int(l.padLeft, `${f}.padLeft`, 0, 64);
        // The window for the last output row must start inside the (top-padded) input.
        if ((outShape[0] - 1) * stride[0] - padTop >= inShape[0] || (outShape[1] - 1) * stride[1] - padLeft >= inShape[1]) {
          c.fail(`${f}.outShape`, `[${outShape.join(', ')}] is too large for input [${inShape.join(', ')}] with kernel ${kernel.join('×')}, stride ${stride.join('×')}`);
        }
        if (padTop >= kernel[0] || padLeft >= kernel[1]) c.fail(`${f}.padTop`, 'padding must be smaller than the kernel');
        perChannel = kernel[0] * kernel[1] * inShape[2];
      } else {
        if (outShape.length !== 1) c.fail(`${f}.outShape`, 'dense output must be [units]');
        perChannel = size(inShape);
      }
      const oc = outShape[outShape.length - 1];
      c.ints(l.weights, `${f}.weights`, oc * perChannel, -127, 127);
      c.ints(l.bias, `${f}.bias`, oc, INT32_MIN, INT32_MAX);
      c.ints(l.multipliers, `${f}.multipliers`, oc, 0, INT32_MAX);
      c.ints(l.shifts, `${f}.shifts`, oc, -31, 30);
      const scales = l.weightScales;
      if (!Array.isArray(scales) || scales.length !== oc) c.fail(`${f}.weightScales`, `expected ${oc} scales`);
      (scales as Json[]).forEach((s, k) => c.scale(s, `${f}.weightScales[${k}]`));
      if (l.activation === 'relu' && amin !== Math.max(-128, lout.zeroPoint)) c.fail(`${f}.activationMin`, `a fused ReLU clamps at the output zero point ${lout.zeroPoint}, got ${amin}`);
    } else if (l.op === 'maxpool') {
      if (inShape.length !== 3 || outShape.length !== 3) c.fail(`${f}.inShape`, 'maxpool needs [h, w, c] shapes');
      const pool = c.ints(l.pool, `${f}.pool`, 2, 1, 64);
      const stride = c.ints(l.stride, `${f}.stride`, 2, 1, 64);
      const expect = [Math.floor((inShape[0] - pool[0]) / stride[0]) + 1, Math.floor((inShape[1] - pool[1]) / stride[1]) + 1, inShape[2]];
      c.sameShape(outShape, expect, `${f}.outShape`, 'the pooled shape');
      if (lout.scale !== lin.scale || lout.zeroPoint !== lin.zeroPoint) c.fail(`${f}.output`, 'max-pool must keep its input\'s scale and zero point');
    } else if (l.op === 'logistic') {
      c.sameShape(outShape, inShape, `${f}.outShape`, 'the input shape (logistic is element-wise)');
      if (lout.scale !== LOGISTIC_OUTPUT_SCALE || lout.zeroPoint !== LOGISTIC_OUTPUT_ZERO_POINT) {
        c.fail(`${f}.output`, `logistic output must be scale 1/256, zero point −128 (TFLite int8), got scale ${lout.scale}, zero point ${lout.zeroPoint}`);
      }
      if (amin !== -128 || amax !== 127) c.fail(`${f}.activationMin`, `logistic has no clamp: expected [-128, 127], got [${amin}, ${amax}]`);
      // The three prepared numbers must be exactly TFLM's prepare for the input scale; anything else is a file we
      // do not understand (an engine would silently compute another function).
      const expected = ((): ReturnType<typeof prepareLogistic> => {
        try {
          return prepareLogistic(lin.scale);
        } catch (e) {
          return c.fail(`${f}.input.scale`, (e as Error).message);
        }
      })();
      const fields = ['inputMultiplier', 'inputLeftShift', 'inputRangeRadius'] as const;
      for (const k of fields) {
        c.int(l[k], `${f}.${k}`, k === 'inputLeftShift' ? LOGISTIC_MIN_LEFT_SHIFT : 0, k === 'inputLeftShift' ? LOGISTIC_MAX_LEFT_SHIFT : INT32_MAX);
        if (l[k] !== expected[k]) c.fail(`${f}.${k}`, `${String(l[k])} is not TFLM's logistic prepare for input scale ${lin.scale} (expected ${expected[k]})`);
      }
    } else {
      c.fail(`${f}.op`, `unknown op ${JSON.stringify(l.op)}; this version knows conv2d, maxpool, dense, logistic`);
    }
    shape = outShape;
    q = lout;
  });
  const output = c.obj(m.output, 'output');
  c.sameShape(c.shape(output.shape, 'output.shape'), shape, 'output.shape', 'the last layer\'s output');
  const oq = c.quant(output, 'output');
  if (oq.scale !== q.scale || oq.zeroPoint !== q.zeroPoint) c.fail('output', 'does not match the last layer\'s output quantization');
  if (size(shape) !== 10) c.fail('output.shape', `expected 10 logits, got ${size(shape)}`);
  c.obj(m.calibration, 'calibration');
  return raw as Int8Model;
}

/** Reads and validates an artifact file; truncated or malformed JSON is reported with its byte position. */
export function loadArtifact(file: string): Int8Model {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ArtifactError(file, '', err.code === 'ENOENT' ? 'file not found' : `cannot read: ${err.message}`);
  }
  let raw: Json;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const truncated = /Unexpected end|Unterminated/.test(msg);
    throw new ArtifactError(file, '', `${truncated ? 'truncated' : 'malformed'} JSON (${text.length} bytes): ${msg}`);
  }
  return validateArtifact(raw, file);
}
