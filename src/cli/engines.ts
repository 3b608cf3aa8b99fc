import { argmax, type DigitSet } from '../data/index.js';
import { loadModel, predictFloatLogits, selectBackend, type BackendChoice } from '../train/index.js';
import { CliError } from './command.js';

/** Every engine answers the same question: 10 logits per 28×28 image. */
export interface EngineRun {
  readonly engine: string;
  readonly logits: ArrayLike<number>;
  readonly predicted: Uint8Array;
  readonly seconds: number;
}

export interface EngineOptions {
  readonly backend: BackendChoice;
  readonly log: (s: string) => void;
}

export const ENGINE_NAMES = ['float'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

function predictions(logits: ArrayLike<number>, count: number): Uint8Array {
  const p = new Uint8Array(count);
  for (let i = 0; i < count; i++) p[i] = argmax(logits, i * 10, 10);
  return p;
}

export async function runFloat(model: string, images: Uint8Array, count: number, o: EngineOptions): Promise<EngineRun> {
  const b = await selectBackend(o.backend);
  o.log(`backend: ${b.name} — ${b.reason}`);
  const m = await loadModel(model);
  const t0 = performance.now();
  const logits = predictFloatLogits(m, images, count);
  return { engine: 'float', logits, predicted: predictions(logits, count), seconds: (performance.now() - t0) / 1000 };
}

export async function runEngine(engine: string, model: string, set: Pick<DigitSet, 'images' | 'count'>, o: EngineOptions): Promise<EngineRun> {
  switch (engine) {
    case 'float':
      return runFloat(model, set.images, set.count, o);
    default:
      throw new CliError(`unknown engine '${engine}'; engines: ${ENGINE_NAMES.join(', ')}`);
  }
}
