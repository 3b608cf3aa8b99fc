import { argmax, classificationReport, createRng, shuffledIndices, type DigitSet } from '../data/index.js';
import { loadModel, modelHash, predictFloatLogits } from '../train/index.js';
import type { Int8Model } from './artifact.js';
import { collectRanges } from './calibrate.js';
import { convertToInt8, type RangeChoice } from './convert.js';
import { readFloatGraph } from './float-graph.js';
import { Simulator } from './simulator.js';

export interface QuantizeOptions {
  readonly modelPath: string;
  readonly name: string;
  readonly train: DigitSet;
  readonly test: DigitSet;
  readonly calibrationImages: number;
  readonly selectionImages: number;
  readonly seed: number;
  readonly log: (s: string) => void;
}

export interface QuantizeResult {
  readonly artifact: Int8Model;
  readonly floatAccuracy: number;
  readonly int8Accuracy: number;
  readonly agreementWithFloat: number;
}

export const RANGE_CANDIDATES: readonly RangeChoice[] = [
  { method: 'minmax' },
  { method: 'percentile', percentile: 99.999 },
  { method: 'percentile', percentile: 99.99 },
  { method: 'percentile', percentile: 99.9 },
];

function gather(set: DigitSet, idx: Uint32Array): { images: Uint8Array; labels: Uint8Array } {
  const images = new Uint8Array(idx.length * 784);
  const labels = new Uint8Array(idx.length);
  idx.forEach((j, k) => {
    images.set(set.images.subarray(j * 784, j * 784 + 784), k * 784);
    labels[k] = set.labels[j];
  });
  return { images, labels };
}

/**
 * Float model → int8 artifact. Calibrates on a seeded sample of training images, tries min/max and percentile
 * ranges, keeps the one with the best int8 accuracy on a disjoint sample of training images (the test set is
 * never used to choose), then measures the result on the test set.
 */
export async function quantizeModel(o: QuantizeOptions): Promise<QuantizeResult> {
  if (o.calibrationImages + o.selectionImages > o.train.count) {
    throw new Error(`calibration (${o.calibrationImages}) + selection (${o.selectionImages}) images exceed the ${o.train.count} training images`);
  }
  const model = await loadModel(o.modelPath);
  const ops = readFloatGraph(model);
  const order = shuffledIndices(o.train.count, createRng(o.seed));
  const calib = gather(o.train, order.subarray(0, o.calibrationImages));
  const select = gather(o.train, order.subarray(o.calibrationImages, o.calibrationImages + o.selectionImages));
  o.log(`calibrating on ${o.calibrationImages} training images…`);
  const ranges = collectRanges(model, ops, calib.images, o.calibrationImages);
  const source = { model: o.modelPath, sha256: modelHash(o.modelPath) };
  const candidates: { method: string; percentile?: number; accuracy: number; images: number }[] = [];
  let best: { artifact: Int8Model; accuracy: number } | null = null;
  for (const choice of RANGE_CANDIDATES) {
    const artifact = convertToInt8({
      name: o.name, source, ops, ranges, choice,
      calibration: { images: o.calibrationImages, source: o.train.source, candidates },
    });
    const sim = new Simulator(artifact);
    const { digits } = sim.classifyMany(select.images, o.selectionImages);
    const accuracy = classificationReport(select.labels, digits).accuracy;
    candidates.push({ ...choice, accuracy, images: o.selectionImages });
    o.log(`  ${choice.method}${choice.percentile ? ` ${choice.percentile}%` : ''}: ${(accuracy * 100).toFixed(2)}% on ${o.selectionImages} other training images (not the calibration ones)`);
    if (!best || accuracy > best.accuracy) best = { artifact, accuracy };
  }
  const chosen = best as { artifact: Int8Model; accuracy: number };
  const floatLogits = predictFloatLogits(model, o.test.images, o.test.count);
  const sim = new Simulator(chosen.artifact);
  const { digits } = sim.classifyMany(o.test.images, o.test.count);
  let agree = 0;
  const floatPred = new Uint8Array(o.test.count);
  for (let i = 0; i < o.test.count; i++) {
    floatPred[i] = argmax(floatLogits, i * 10, 10);
    if (floatPred[i] === digits[i]) agree++;
  }
  const floatAccuracy = classificationReport(o.test.labels, floatPred).accuracy;
  const int8Accuracy = classificationReport(o.test.labels, digits).accuracy;
  const agreementWithFloat = agree / o.test.count;
  const artifact: Int8Model = {
    ...chosen.artifact,
    metrics: { floatAccuracy, int8Accuracy, agreementWithFloat, images: o.test.count, data: o.test.source },
  };
  return { artifact, floatAccuracy, int8Accuracy, agreementWithFloat };
}
