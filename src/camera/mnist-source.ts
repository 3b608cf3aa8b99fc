import { createRng, imageAt, loadDigitSet, type DigitSet, type MnistSplit } from '../data/index.js';
import { abortError, type Frame } from './frame.js';
import { frameSeed, synthesizeCameraFrame, type CameraLikeOptions } from './synthesize.js';

export interface MnistFrameOptions {
  readonly split?: MnistSplit;
  /** First MNIST index to render (default 0). */
  readonly start?: number;
  /** Number of frames (default: to the end of the split). */
  readonly count?: number;
  readonly seed?: number;
  readonly synthesis?: Partial<CameraLikeOptions>;
  /** An already loaded set, to avoid re-reading the IDX files. */
  readonly digits?: DigitSet;
  readonly signal?: AbortSignal;
}

/** MNIST digits rendered as labelled camera-like frames; frame k depends only on (seed, start + k). */
export async function* mnistFrames(options: MnistFrameOptions = {}): AsyncGenerator<Frame, void, undefined> {
  const split = options.split ?? 'test';
  const digits = options.digits ?? loadDigitSet(`mnist:${split}`);
  const start = options.start ?? 0;
  if (!Number.isInteger(start) || start < 0 || start >= digits.count) throw new RangeError(`mnist:${split}: start must be an integer in 0..${digits.count - 1}, got ${start}`);
  const available = digits.count - start;
  const count = options.count ?? available;
  if (!Number.isInteger(count) || count < 0 || count > available) throw new RangeError(`mnist:${split}: count must be an integer in 0..${available} from start ${start}, got ${count}`);
  const seed = options.seed ?? 1;
  for (let k = 0; k < count; k++) {
    if (options.signal?.aborted) throw abortError(options.signal);
    const index = start + k;
    const rendered = await synthesizeCameraFrame(imageAt(digits, index), createRng(frameSeed(seed, index)), options.synthesis);
    yield {
      gray: rendered.gray, width: rendered.width, height: rendered.height,
      timestampMs: (k * 1000) / 30, index: k, label: digits.labels[index], source: `mnist:${split}#${index}`,
    };
  }
}
