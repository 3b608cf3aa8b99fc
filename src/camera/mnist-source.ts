import { createRng, imageAt, IMAGE_SIZE, loadDigitSet, PIXELS, type DigitSet, type MnistSplit } from '../data/index.js';
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
  /**
   * Frames each digit is held for (default 1): as a person holds up paper, the digit stays for a run of frames,
   * moving a little (up to ~1 % of the frame per frame, a slow drift plus tremor), so a steady answer can form.
   */
  readonly hold?: number;
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
  const hold = options.hold ?? 1;
  if (!Number.isInteger(hold) || hold < 1) throw new RangeError(`mnist:${split}: hold must be a positive integer, got ${hold}`);
  let frame = 0;
  for (let k = 0; k < count; k++) {
    const index = start + k;
    const digit = imageAt(digits, index);
    let centre: { x: number; y: number } | null = null;
    for (let j = 0; j < hold; j++) {
      if (options.signal?.aborted) throw abortError(options.signal);
      // Same paper, light and pose for the whole hold; only the position moves (and the sensor noise, drawn anew).
      const rng = createRng(frameSeed(seed, index));
      const jitter = createRng(frameSeed(seed ^ 0x5bd1e995, index * 1024 + j));
      const width = options.synthesis?.width ?? 640;
      const moved = centre === null ? {} : {
        centre: {
          x: centre.x + width * (0.004 * j * Math.cos(index) + 0.006 * (jitter() * 2 - 1)),
          y: centre.y + width * (0.004 * j * Math.sin(index) + 0.006 * (jitter() * 2 - 1)),
        },
      };
      const rendered = await synthesizeCameraFrame(digit, j === 0 ? rng : withFreshNoise(rng, jitter), { ...options.synthesis, ...moved });
      if (centre === null) centre = rendered.truth.centre;
      yield {
        gray: rendered.gray, width: rendered.width, height: rendered.height,
        timestampMs: (frame * 1000) / 30, index: frame, label: digits.labels[index], source: `mnist:${split}#${index}${hold > 1 ? `/${j}` : ''}`,
      };
      frame++;
    }
  }
}

/**
 * The renderer's first 14 draws (size, pose, placement, light, blur, noise level, JPEG quality) come from
 * `rng`, so they repeat the held frame's; the rest (specks, the sensor-noise seed) from `fresh`, so each frame
 * of a hold has its own noise.
 */
function withFreshNoise(rng: () => number, fresh: () => number): () => number {
  let n = 0;
  return () => (n++ < 14 ? rng() : fresh());
}

/** Side of the page `mnistOnPaper` puts a digit on: three MNIST fields, so the digit sits well inside the sheet. */
export const PAPER_SIDE = 84;

/**
 * A clean MNIST digit as a camera sees a digit on paper, with nothing else done to it: dark ink (255 − the MNIST
 * level) on a white page, the 28×28 field in the middle of a PAPER_SIDE² gray frame, no resampling, blur or noise.
 * This is how clean digits are checked against the preprocessing (bench:camera, test/camera-clean.test.ts): the
 * preprocessing is given a frame as from a camera, never a special path for clean input.
 */
export function mnistOnPaper(pixels: Uint8Array, index: number, source: string): Frame {
  if (pixels.length !== PIXELS) throw new RangeError(`mnistOnPaper: a digit is ${IMAGE_SIZE}×${IMAGE_SIZE} = ${PIXELS} pixels, got ${pixels.length}`);
  const side = PAPER_SIDE;
  const at = (side - IMAGE_SIZE) / 2;
  const gray = new Uint8Array(side * side).fill(255);
  for (let y = 0; y < IMAGE_SIZE; y++) for (let x = 0; x < IMAGE_SIZE; x++) gray[(y + at) * side + at + x] = 255 - pixels[y * IMAGE_SIZE + x];
  return { gray, width: side, height: side, timestampMs: 0, index, source: `${source}#${index}` };
}
