import { PIXELS, type DigitSet } from '../src/data/index.js';
import { Simulator } from '../src/quantize/simulator.js';
import type { Int8Model } from '../src/quantize/artifact.js';

/** A labelled image compiled into an example sketch, with the simulator's answer for it as the expected output. */
export interface ExampleDigit {
  readonly source: string;
  readonly index: number;
  readonly label: number;
  readonly pixels: Uint8Array;
  readonly logits: Int8Array;
  readonly digit: number;
}

/**
 * The first image of `set` that the model classifies correctly (falling back to image 0), so the example shows
 * the model working; deterministic, so regenerating gives the same sketch.
 */
export function chooseExampleDigit(model: Int8Model, set: DigitSet): ExampleDigit {
  if (set.count === 0) throw new RangeError(`chooseExampleDigit: ${set.source} has no images`);
  const sim = new Simulator(model);
  let chosen = 0;
  for (let i = 0; i < set.count; i++) {
    if (sim.classify(set.images.subarray(i * PIXELS, (i + 1) * PIXELS)).digit === set.labels[i]) {
      chosen = i;
      break;
    }
  }
  const pixels = set.images.slice(chosen * PIXELS, (chosen + 1) * PIXELS);
  const { logits, digit } = sim.classify(pixels);
  return { source: set.source, index: chosen, label: set.labels[chosen], pixels, logits, digit };
}
