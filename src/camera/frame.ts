/** One grayscale picture from any source: row-major uint8, one byte per pixel (0 = black, 255 = white). */
export interface Frame {
  readonly gray: Uint8Array;
  /**
   * The same picture in colour when the source has it: interleaved RGB, 3 bytes per pixel. Preprocessing then
   * picks the channel mix with most ink–paper contrast (blue ink on yellow paper is not gray on gray).
   */
  readonly rgb?: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Capture time for live sources, presentation time for videos, a nominal frame clock for still images. */
  readonly timestampMs: number;
  /** 0-based position in its source. */
  readonly index: number;
  /** The digit shown, when the source knows it (MNIST frames, labelled file names). */
  readonly label?: number;
  /** Where the frame came from (device, file path, 'mnist:test#17'), for messages and logs. */
  readonly source: string;
}

export type FrameSource = AsyncIterable<Frame>;

/** Dark ink on light paper (pen on paper) or light on dark (chalk on a board, MNIST itself). */
export type Polarity = 'dark-on-light' | 'light-on-dark';

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The error an aborted source throws, shaped like the one Node's own abortable APIs throw. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const err = new Error(`frame source aborted${reason === undefined ? '' : `: ${String(reason)}`}`);
  err.name = 'AbortError';
  return err;
}

export function checkFrame(frame: Frame): void {
  const { width, height, gray } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new TypeError(`frame ${frame.source}#${frame.index}: width and height must be positive integers, got ${width}×${height}`);
  }
  if (gray.length !== width * height) {
    throw new TypeError(`frame ${frame.source}#${frame.index}: gray has ${gray.length} bytes, expected width×height = ${width * height}`);
  }
  if (frame.rgb !== undefined && frame.rgb.length !== 3 * width * height) {
    throw new TypeError(`frame ${frame.source}#${frame.index}: rgb has ${frame.rgb.length} bytes, expected 3×width×height = ${3 * width * height}`);
  }
}
