import type { Frame, PreprocessOptions, PreprocessResult } from '../../camera/index.js';
import { percentile, Stabilizer, topConfidence, type StableAnswer } from './stabilizer.js';

/** Anything that turns 28×28 pixels into int8 logits: the simulator, a board, the emulated board. */
export interface DigitClassifier {
  readonly name: string;
  classify(pixels: Uint8Array): Promise<{ digit: number; logits: Int8Array; deviceMicros?: number }>;
  close(): Promise<void>;
}

export interface FrameOutcome {
  readonly frame: Frame;
  readonly pre: PreprocessResult;
  readonly digit: number | null;
  readonly logits: Int8Array | null;
  readonly confidence: number;
  readonly stable: StableAnswer;
  readonly latencyMs: number;
  readonly deviceMicros?: number;
}

export interface RecognizeOptions {
  readonly classifier: DigitClassifier;
  readonly preprocess: (frame: Frame, o: Partial<PreprocessOptions>) => Promise<PreprocessResult>;
  readonly preprocessOptions: Partial<PreprocessOptions>;
  /** Frames being preprocessed/classified at once: overlaps decode, sharp (thread pool) and the serial round trip. */
  readonly window: number;
  readonly outputScale: number;
  readonly outputZeroPoint: number;
  readonly stableWindow: number;
  readonly minConfidence: number;
  readonly onOutcome: (o: FrameOutcome) => void | Promise<void>;
  readonly signal?: AbortSignal;
}

export interface RecognizeSummary {
  readonly frames: number;
  readonly digits: number;
  readonly noDigit: Record<string, number>;
  readonly labelled: number;
  readonly correct: number;
  readonly accuracy: number | null;
  readonly seconds: number;
  readonly fps: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number };
  readonly deviceMicros: { readonly p50: number; readonly p99: number } | null;
}

/**
 * Frames → preprocessing → classifier, with at most `window` frames in flight and outcomes delivered in frame
 * order. Every frame is accounted for: classified, or counted as "no digit" with its reason.
 */
export async function recognize(source: AsyncIterable<Frame>, o: RecognizeOptions): Promise<RecognizeSummary> {
  const stabilizer = new Stabilizer(o.stableWindow, o.minConfidence);
  const latencies: number[] = [];
  const device: number[] = [];
  const noDigit: Record<string, number> = {};
  let frames = 0, digits = 0, labelled = 0, correct = 0;
  const started = performance.now();
  const inFlight: Promise<Omit<FrameOutcome, 'stable'>>[] = [];

  const process = async (frame: Frame): Promise<Omit<FrameOutcome, 'stable'>> => {
    const t0 = performance.now();
    const pre = await o.preprocess(frame, o.preprocessOptions);
    if (pre.kind === 'none') return { frame, pre, digit: null, logits: null, confidence: 0, latencyMs: performance.now() - t0 };
    const r = await o.classifier.classify(pre.pixels);
    return {
      frame, pre, digit: r.digit, logits: r.logits, confidence: topConfidence(r.logits, o.outputScale, o.outputZeroPoint),
      latencyMs: performance.now() - t0, ...(r.deviceMicros !== undefined ? { deviceMicros: r.deviceMicros } : {}),
    };
  };

  const settle = async (): Promise<void> => {
    const r = await (inFlight.shift() as Promise<Omit<FrameOutcome, 'stable'>>);
    frames++;
    latencies.push(r.latencyMs);
    if (r.deviceMicros !== undefined) device.push(r.deviceMicros);
    if (r.pre.kind === 'none') noDigit[r.pre.code] = (noDigit[r.pre.code] ?? 0) + 1;
    else digits++;
    if (r.frame.label !== undefined) {
      labelled++;
      if (r.digit === r.frame.label) correct++;
    }
    await o.onOutcome({ ...r, stable: stabilizer.push(r.digit, r.confidence) });
  };

  try {
    for await (const frame of source) {
      if (o.signal?.aborted) break;
      const job = process(frame);
      // Marks the rejection as handled now; settle() still sees it, in frame order.
      job.catch(() => {});
      inFlight.push(job);
      if (inFlight.length >= o.window) await settle();
    }
    while (inFlight.length) await settle();
  } finally {
    // Let anything still running finish before the caller closes the classifier under it.
    await Promise.allSettled(inFlight);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    frames, digits, noDigit, labelled, correct,
    accuracy: labelled ? correct / labelled : null,
    seconds, fps: seconds > 0 ? frames / seconds : 0,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    deviceMicros: device.length ? { p50: percentile(device, 50), p99: percentile(device, 99) } : null,
  };
}
