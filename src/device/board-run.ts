/**
 * "Run these images through a board at this port": the batch form every engine shares (10 int8 logits and the
 * digit per 28×28 image), for `eval --engine board`, the QEMU board and benchmarks.
 */
import { DigitBoard, type DigitBoardOptions } from './digit-board.js';
import { Layout } from './protocol/index.js';

export interface BoardRun {
  /** count × 10 int8 logits, image-major. */
  readonly logits: Int8Array;
  readonly digits: Uint8Array;
  /** Inference time each image took on the board, µs. */
  readonly deviceMicros: Uint32Array;
  /** Host round trip of each image, ms (first transmission → reply). */
  readonly roundTripMs: Float64Array;
  /** Wall time for the whole batch. */
  readonly seconds: number;
  /** Transmissions beyond one per image. */
  readonly retries: number;
}

export interface ClassifyImagesOptions {
  /** Requests outstanding at once (default: the board's maxInFlight). */
  readonly window?: number;
  readonly onProgress?: (done: number, count: number) => void;
}

function* imagesOf(images: Uint8Array, count: number): Generator<Uint8Array> {
  for (let i = 0; i < count; i++) yield images.subarray(i * Layout.PIXEL_COUNT, (i + 1) * Layout.PIXEL_COUNT);
}

/** Classifies `count` images on a connected board; rejects with the first image's error that survived retries. */
export async function classifyImages(board: DigitBoard, images: Uint8Array, count: number, o: ClassifyImagesOptions = {}): Promise<BoardRun> {
  if (!Number.isInteger(count) || count < 0 || images.length < count * Layout.PIXEL_COUNT) {
    throw new RangeError(`classifyImages: ${count} images need ${count * Layout.PIXEL_COUNT} bytes, got ${images.length}`);
  }
  const logits = new Int8Array(count * Layout.CLASS_COUNT);
  const digits = new Uint8Array(count);
  const deviceMicros = new Uint32Array(count);
  const roundTripMs = new Float64Array(count);
  let retries = 0;
  const t0 = performance.now();
  for await (const r of board.classifyMany(imagesOf(images, count), o.window ? { window: o.window } : {})) {
    if (!r.ok) throw new Error(`image ${r.index}: ${r.error.message}`, { cause: r.error });
    logits.set(r.logits, r.index * Layout.CLASS_COUNT);
    digits[r.index] = r.digit;
    deviceMicros[r.index] = r.deviceMicros;
    roundTripMs[r.index] = r.roundTripMs;
    retries += r.attempts - 1;
    o.onProgress?.(r.index + 1, count);
  }
  return { logits, digits, deviceMicros, roundTripMs, seconds: (performance.now() - t0) / 1000, retries };
}

/** Connects to the board at `path`, classifies the images, and closes the connection whatever happens. */
export async function runImagesOnBoard(path: string, images: Uint8Array, count: number, o: DigitBoardOptions & ClassifyImagesOptions = {}): Promise<BoardRun> {
  const board = await DigitBoard.connect(path, o);
  try {
    return await classifyImages(board, images, count, o);
  } finally {
    await board.close();
  }
}
