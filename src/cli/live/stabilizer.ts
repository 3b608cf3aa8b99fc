/**
 * A steadier answer for live video: the digit most often predicted over the last `window` frames that passed
 * the confidence floor, once it holds a majority of the window. Empty or unsure frames count as empty slots, so a
 * brief miss does not flicker the answer and a run of them clears it.
 */
export interface StableAnswer { readonly digit: number | null; readonly votes: number; readonly window: number }

export class Stabilizer {
  private readonly recent: (number | null)[] = [];
  constructor(private readonly window: number, private readonly minConfidence: number) {
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`Stabilizer: window must be a positive integer, got ${window}`);
  }

  push(digit: number | null, confidence: number): StableAnswer {
    this.recent.push(digit !== null && confidence >= this.minConfidence ? digit : null);
    if (this.recent.length > this.window) this.recent.shift();
    const counts = new Array<number>(10).fill(0);
    for (const d of this.recent) if (d !== null) counts[d]++;
    let best = 0;
    for (let d = 1; d < 10; d++) if (counts[d] > counts[best]) best = d;
    // An answer needs a majority of the window, so one stray frame neither sets nor flips it.
    const votes = counts[best];
    return { digit: votes >= Math.ceil(this.window / 2) && votes > 0 ? best : null, votes, window: this.window };
  }
}

/** Softmax probability of the top class from int8 logits dequantized with the output scale and zero point. */
export function topConfidence(logits: ArrayLike<number>, scale: number, zeroPoint: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, (logits[i] - zeroPoint) * scale);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] - zeroPoint) * scale - max);
  return 1 / sum;
}

/** p-th percentile (0..100) of a list of numbers, nearest-rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
