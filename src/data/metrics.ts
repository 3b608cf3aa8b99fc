import { NUM_CLASSES } from './dataset.js';

/** Classification summary shared by every engine's `eval`. confusion[true][predicted]. */
export interface ClassificationReport {
  readonly n: number;
  readonly accuracy: number;
  readonly confusion: number[][];
  readonly perClassAccuracy: number[];
}

export function classificationReport(labels: ArrayLike<number>, predicted: ArrayLike<number>): ClassificationReport {
  if (labels.length !== predicted.length) throw new Error(`classificationReport: ${labels.length} labels vs ${predicted.length} predictions`);
  const confusion = Array.from({ length: NUM_CLASSES }, () => new Array<number>(NUM_CLASSES).fill(0));
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    confusion[labels[i]][predicted[i]]++;
    if (labels[i] === predicted[i]) correct++;
  }
  const perClassAccuracy = confusion.map((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? 0 : row[c] / total;
  });
  return { n: labels.length, accuracy: labels.length === 0 ? 0 : correct / labels.length, confusion, perClassAccuracy };
}

export function argmax(values: ArrayLike<number>, offset = 0, length = values.length - offset): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[offset + i] > values[offset + best]) best = i;
  return best;
}
