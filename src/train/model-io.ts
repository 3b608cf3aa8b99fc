import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** Saves a tfjs layers model as model.json + weights.bin (the tfjs format, so other tfjs tools can read it). */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weights = new Uint8Array(artifacts.weightData as ArrayBuffer);
    const json = {
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    };
    writeFileSync(path.join(dir, 'weights.bin'), weights);
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
  }));
}

/** A model file that is missing, unreadable or inconsistent: bad input (exit code 2 in the CLI). */
export class ModelFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFileError';
  }
}

/** Bytes per element of the weight dtypes tfjs writes. */
const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2 };

/** Accepts a model folder or its model.json. */
export function resolveModelJson(p: string): string {
  let st;
  try {
    st = statSync(p);
  } catch {
    throw new ModelFileError(`${p}: no such model folder or file`);
  }
  return st.isDirectory() ? path.join(p, 'model.json') : p;
}

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

export function readModelFiles(p: string): { json: ModelJson; weights: Uint8Array; file: string } {
  const file = resolveModelJson(p);
  let json: ModelJson;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as ModelJson;
  } catch (e) {
    throw new ModelFileError(`${file}: not a readable tfjs model.json (${(e as Error).message})`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new ModelFileError(`${file}: not a tfjs layers model (missing modelTopology or weightsManifest)`);
  }
  const weightFiles = json.weightsManifest.flatMap((g) => g.paths).map((w) => path.join(path.dirname(file), w));
  const parts = weightFiles.map((w) => {
    try {
      return readFileSync(w);
    } catch (e) {
      throw new ModelFileError(`${w}: cannot read the weights ${file} names (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  });
  const weights = new Uint8Array(Buffer.concat(parts));
  // A truncated or foreign weights file would otherwise surface as a tensor-shape error naming no file.
  const expected = json.weightsManifest.flatMap((g) => g.weights).reduce((sum, w) => sum + w.shape.reduce((a, d) => a * d, 1) * (DTYPE_BYTES[w.quantization?.dtype ?? w.dtype] ?? 4), 0);
  if (weights.length !== expected) {
    throw new ModelFileError(`${weightFiles.join(' + ')}: ${weights.length} bytes, but ${file} describes ${expected} bytes of weights (truncated, or from another model)`);
  }
  return { json, weights, file };
}

/** Content hash of a float model (topology + weights) so artifacts can name their source. */
export function modelHash(p: string): string {
  const { json, weights } = readModelFiles(p);
  return createHash('sha256').update(JSON.stringify(json.modelTopology)).update(weights).digest('hex');
}

export async function loadModel(p: string): Promise<tf.LayersModel> {
  const { json, weights } = readModelFiles(p);
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: specs,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
  }));
}
