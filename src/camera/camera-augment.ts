import { createRng, PIXELS } from '../data/index.js';
import { preprocess } from './preprocess.js';
import { ROOM_CONDITIONS, synthesizeScene, TUNING_VARIANT } from './scene.js';
import { frameSeed } from './synthesize.js';

/**
 * Camera augmentation for training: a 28×28 MNIST digit rendered as a webcam sees it in a room (one of the
 * scene conditions, at 320×240 to keep it cheap) and brought back through the project's own preprocessing,
 * so the CNN learns what the preprocessing outputs. Deterministic in (digit, seed); null when the
 * preprocessing finds no digit (the caller keeps the original then). Async because sharp is: training calls it
 * through a pre-rendered set (scripts/make-camera-augment.ts writes IDX files `train --train-data` reads), so
 * src/train never imports the camera (data → train stays one-way).
 */
export async function renderThroughCamera(digit: Uint8Array, seed: number): Promise<Uint8Array | null> {
  if (digit.length !== PIXELS) throw new RangeError(`renderThroughCamera: digit must have ${PIXELS} pixels (28×28), got ${digit.length}`);
  const rng = createRng(frameSeed(seed, 0x7f4a7c15));
  const condition = ROOM_CONDITIONS[Math.floor(rng() * ROOM_CONDITIONS.length)];
  const scene = await synthesizeScene(digit, rng, { width: 320, height: 240, condition, variant: TUNING_VARIANT });
  const r = await preprocess({ gray: scene.gray, rgb: scene.rgb, width: 320, height: 240, timestampMs: 0, index: 0, source: 'camera-augment' });
  return r.kind === 'digit' ? r.pixels : null;
}
