/**
 * One tab: its frames go through the same pipeline as `edge-digits run` — src/camera's preprocess, the board
 * (through the fair scheduler), and the Stabilizer of src/cli/live for the steady answer — and its answers go
 * back to it alone, in frame order.
 *
 * Flow control: at most `window` frames of a tab are being worked on; one more may wait. A newer frame replaces
 * the waiting one (which gets a `dropped` reply), so a tab that sends faster than the board answers gets fresh
 * answers rather than a growing backlog, and cannot crowd other tabs out. A message the host refuses gets an
 * `error` reply and touches nothing: not the steady answer, not the counters, not the queue.
 */
import sharp from 'sharp';
import { decodeImage, preprocess, type Frame, type PreprocessOptions, type PreprocessResult } from '../camera/index.js';
import { Stabilizer, topConfidence } from '../cli/live/stabilizer.js';
import { EngineUnavailableError, type EngineAnswer, type ServeEngine } from './engine.js';
import type { FairScheduler } from './fair-scheduler.js';
import {
  checkSize, FrameFormatError, parseClientMessage, parseFrameMessage,
  type ErrorCode, type FrameHeader, type FrameLimits, type RectJson, type ResultMessage, type ServerMessage, type TimingJson,
} from './protocol.js';

export interface SessionOptions {
  readonly id: string;
  readonly engine: ServeEngine;
  /** The board, shared round robin between tabs. */
  readonly scheduler: FairScheduler;
  /** The host's CPU for decoding and preprocessing, shared the same way. */
  readonly cpu: FairScheduler;
  readonly limits: FrameLimits;
  readonly preprocessOptions: Partial<PreprocessOptions>;
  readonly stableWindow: number;
  readonly minConfidence: number;
  readonly output: { readonly scale: number; readonly zeroPoint: number };
  /** Frames of this tab being worked on at once. */
  readonly window: number;
  readonly send: (m: ServerMessage) => void;
  readonly log?: (line: string) => void;
}

interface Pending {
  readonly header: FrameHeader;
  readonly payload: Uint8Array;
  readonly receivedAt: number;
}

/** A frame's way through the pipeline; null outcome = decode failed (already answered with an error). */
type Outcome =
  | { readonly kind: 'result'; readonly build: (steady: ResultMessage['steady']) => ResultMessage; readonly vote: { digit: number | null; confidence: number } }
  | { readonly kind: 'error'; readonly code: ErrorCode; readonly message: string; readonly id: number };

interface Slot { outcome: Outcome | null }

export interface SessionCounters {
  frames: number;
  results: number;
  dropped: number;
  errors: number;
}

export class Session {
  readonly counters: SessionCounters = { frames: 0, results: 0, dropped: 0, errors: 0 };
  private stabilizer: Stabilizer;
  private readonly inFlight: Slot[] = [];
  private waiting: Pending | null = null;
  private closed = false;

  constructor(private readonly o: SessionOptions) {
    this.stabilizer = new Stabilizer(o.stableWindow, o.minConfidence);
  }

  get busy(): number {
    return this.inFlight.length + (this.waiting ? 1 : 0);
  }

  handleText(text: string): void {
    let m;
    try {
      m = parseClientMessage(text, this.o.limits);
    } catch (e) {
      this.refuse(e);
      return;
    }
    if (m.type === 'ping') this.send({ v: 1, type: 'pong', t: m.t ?? null });
    // A new source (camera → pad) must not inherit the old one's votes.
    else this.stabilizer = new Stabilizer(this.o.stableWindow, this.o.minConfidence);
  }

  handleBinary(bytes: Uint8Array): void {
    const receivedAt = performance.now();
    let frame;
    try {
      frame = parseFrameMessage(bytes, this.o.limits);
    } catch (e) {
      this.refuse(e);
      return;
    }
    this.counters.frames++;
    // The socket's buffer is reused by the next message: keep a copy while the frame waits.
    const pending: Pending = { header: frame.header, payload: Uint8Array.from(frame.payload), receivedAt };
    if (this.waiting) {
      this.counters.dropped++;
      this.send({ v: 1, type: 'dropped', id: this.waiting.header.id, reason: `superseded by frame ${pending.header.id} (this tab had ${this.o.window} frames in progress)` });
    }
    this.waiting = pending;
    this.startWaiting();
  }

  /** The tab went away: its waiting board requests are cancelled, frames in progress finish unseen. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.waiting = null;
    this.o.scheduler.cancel(this.o.id, `tab ${this.o.id} closed`);
    this.o.cpu.cancel(this.o.id, `tab ${this.o.id} closed`);
  }

  private refuse(e: unknown): void {
    this.counters.errors++;
    if (e instanceof FrameFormatError) this.send({ v: 1, type: 'error', code: e.code, message: e.message, id: e.id });
    else this.send({ v: 1, type: 'error', code: 'internal', message: (e as Error).message, id: null });
  }

  private send(m: ServerMessage): void {
    if (!this.closed) this.o.send(m);
  }

  private startWaiting(): void {
    while (!this.closed && this.waiting && this.inFlight.length < this.o.window) {
      const p = this.waiting;
      this.waiting = null;
      const slot: Slot = { outcome: null };
      this.inFlight.push(slot);
      void this.process(p)
        .catch((e: unknown): Outcome => ({ kind: 'error', code: 'internal', message: `frame ${p.header.id}: ${(e as Error).message}`, id: p.header.id }))
        .then((outcome) => {
          slot.outcome = outcome;
          this.deliver();
        });
    }
  }

  /** Settled frames leave in arrival order, so the stabilizer votes in the order the camera saw them. */
  private deliver(): void {
    while (this.inFlight.length && this.inFlight[0].outcome) {
      const outcome = (this.inFlight.shift() as Slot).outcome as Outcome;
      if (outcome.kind === 'error') {
        this.counters.errors++;
        this.send({ v: 1, type: 'error', code: outcome.code, message: outcome.message, id: outcome.id });
      } else {
        this.counters.results++;
        const steady = this.stabilizer.push(outcome.vote.digit, outcome.vote.confidence);
        this.send(outcome.build({ digit: steady.digit, votes: steady.votes, window: steady.window }));
      }
    }
    this.startWaiting();
  }

  private async process(p: Pending): Promise<Outcome> {
    const { header } = p;
    let started = 0;
    let decoded = 0;
    // Assigned inside the scheduled job; a holder, since TypeScript does not follow assignments into closures.
    const held: { frame: Frame | null } = { frame: null };
    let pre: PreprocessResult;
    try {
      pre = await this.o.cpu.run(this.o.id, async () => {
        started = performance.now();
        held.frame = await this.toFrame(p);
        decoded = performance.now();
        return preprocess(held.frame, this.o.preprocessOptions);
      });
    } catch (e) {
      if (!held.frame) {
        const code: ErrorCode = e instanceof FrameFormatError ? e.code : 'bad-image';
        return { kind: 'error', code, message: `frame ${header.id}: ${(e as Error).message}`, id: header.id };
      }
      return { kind: 'error', code: 'internal', message: `frame ${header.id}: preprocessing failed: ${(e as Error).message}`, id: header.id };
    }
    const f: Frame = held.frame as Frame;
    const preprocessed = performance.now();
    let answer: EngineAnswer | null = null;
    let boardError: string | null = null;
    let dispatched = preprocessed;
    let answered = preprocessed;
    if (pre.kind === 'digit') {
      try {
        answer = await this.o.scheduler.run(this.o.id, () => {
          dispatched = performance.now();
          return this.o.engine.classify(pre.pixels);
        });
      } catch (e) {
        boardError = e instanceof EngineUnavailableError ? e.message : `${(e as Error).name}: ${(e as Error).message}`;
      }
      answered = performance.now();
    }
    const confidence = answer ? topConfidence(answer.logits, this.o.output.scale, this.o.output.zeroPoint) : null;
    const g = pre.geometry;
    const timing = (): TimingJson => ({
      capture_ms: round(header.captureMs),
      wait_ms: round(started - p.receivedAt),
      decode_ms: round(decoded - started),
      preprocess_ms: round(preprocessed - decoded),
      queue_ms: round(dispatched - preprocessed),
      board_ms: pre.kind === 'digit' ? round(answered - dispatched) : null,
      inference_us: answer ? answer.inferenceMicros : null,
      server_ms: round(performance.now() - p.receivedAt),
    });
    return {
      kind: 'result',
      vote: { digit: answer ? answer.digit : null, confidence: confidence ?? 0 },
      build: (steady) => ({
        v: 1, type: 'result', id: header.id, source: header.source,
        digit: answer ? answer.digit : null,
        confidence: confidence === null ? null : Number(confidence.toFixed(4)),
        probabilities: answer ? softmax(answer.logits, this.o.output.scale, this.o.output.zeroPoint) : null,
        logits: answer ? Array.from(answer.logits) : null,
        steady,
        no_digit: pre.kind === 'none' ? { code: pre.code, reason: pre.reason } : null,
        board_error: boardError,
        input: pre.kind === 'digit' ? Buffer.from(pre.pixels).toString('base64') : null,
        geometry: { frame: { width: f.width, height: f.height }, roi: rect(g.roi), bbox: g.bbox ? rect(g.bbox) : null },
        timing: timing(),
      }),
    };
  }

  private async toFrame(p: Pending): Promise<Frame> {
    const { header } = p;
    const base = { timestampMs: p.receivedAt, index: header.id, source: `${header.source}#${header.id}` };
    if (header.encoding === 'gray8') return { gray: p.payload, width: header.width, height: header.height, ...base };
    // Read the size from the image header before decoding, so a small file claiming a huge image is refused cheaply.
    const meta = await sharp(p.payload, { limitInputPixels: false }).metadata().catch((e: unknown) => {
      throw new FrameFormatError('bad-image', `not a decodable image (JPEG, PNG or WebP): ${(e as Error).message}`, header.id);
    });
    if (!meta.width || !meta.height) throw new FrameFormatError('bad-image', 'image has no size', header.id);
    checkSize(meta.width, meta.height, this.o.limits, header.id);
    const img = await decodeImage(Buffer.from(p.payload.buffer, p.payload.byteOffset, p.payload.byteLength)).catch((e: unknown) => {
      throw new FrameFormatError('bad-image', `cannot decode the image: ${(e as Error).message}`, header.id);
    });
    checkSize(img.width, img.height, this.o.limits, header.id);
    return { gray: img.gray, ...(img.rgb ? { rgb: img.rgb } : {}), width: img.width, height: img.height, ...base };
  }
}

function round(ms: number): number {
  return Number(ms.toFixed(2));
}

function rect(r: RectJson): RectJson {
  return { x: round(r.x), y: round(r.y), width: round(r.width), height: round(r.height) };
}

/** Softmax of the dequantized logits, for the page's bars (the same dequantization as topConfidence). */
export function softmax(logits: ArrayLike<number>, scale: number, zeroPoint: number): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, (logits[i] - zeroPoint) * scale);
  const e = Array.from(logits, (q) => Math.exp((q - zeroPoint) * scale - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => Number((x / sum).toFixed(4)));
}
