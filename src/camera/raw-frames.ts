import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { Readable } from 'node:stream';
import { abortError, type Frame } from './frame.js';

/** `child_process.spawn`'s shape, injectable so tests can watch the ffmpeg process (as node-serialport injects bindings). */
export type SpawnFunction = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

export class FfmpegProcessError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
  ) {
    super(message);
    this.name = 'FfmpegProcessError';
  }
}

/**
 * 'every': each decoded frame, in order, with backpressure (ffmpeg waits while the consumer is busy) — for files.
 * 'latest': the newest frame only; older unread ones are dropped (index shows the gap) so a slow consumer sees
 * the scene now rather than a growing backlog — for live cameras.
 */
export type DeliveryMode = 'every' | 'latest';

/**
 * What ffmpeg writes: 'gray' (1 byte a pixel) or 'rgb24' (3, interleaved). Colour frames carry both `rgb` and
 * their Rec. 601 luma as `gray`, so preprocessing can pick the channel with most ink–paper contrast (blue ink on
 * yellow paper is faint in luma, strong in the red channel).
 */
export type RawPixelFormat = 'gray' | 'rgb24';

export interface RawFrameReadOptions {
  readonly ffmpegPath: string;
  /** Full argument list; it must write `-f rawvideo -pix_fmt <pixelFormat>` frames of width×height to stdout. */
  readonly args: readonly string[];
  /** Default 'gray'; it must match the `-pix_fmt` in args. */
  readonly pixelFormat?: RawPixelFormat;
  readonly width: number;
  readonly height: number;
  readonly source: string;
  readonly timestampMs: (index: number) => number;
  readonly mode: DeliveryMode;
  readonly signal?: AbortSignal;
  readonly spawn?: SpawnFunction;
}

const STDERR_TAIL_CHARS = 4000;

function describeCommand(path: string, args: readonly string[]): string {
  return [path, ...args].map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ');
}

/** Rec. 601 luma of interleaved RGB, rounded: the weights preprocessing uses for the colour planes' luma. */
export function lumaOfRgb(rgb: Uint8Array): Uint8Array {
  const n = Math.floor(rgb.length / 3);
  const gray = new Uint8Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 3) gray[i] = Math.round(0.299 * rgb[j] + 0.587 * rgb[j + 1] + 0.114 * rgb[j + 2]);
  return gray;
}

/**
 * Runs ffmpeg and yields its raw frames. Memory stays bounded: one frame being filled plus at most one
 * finished frame waiting. Breaking out of the loop or aborting the signal kills ffmpeg and waits for it to exit.
 */
export async function* readRawFrames(o: RawFrameReadOptions): AsyncGenerator<Frame, void, undefined> {
  const channels = (o.pixelFormat ?? 'gray') === 'rgb24' ? 3 : 1;
  const frameBytes = o.width * o.height * channels;
  if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new TypeError(`${o.source}: frame size must be positive integers, got ${o.width}×${o.height}`);
  if (o.signal?.aborted) throw abortError(o.signal);

  const child = (o.spawn ?? nodeSpawn)(o.ffmpegPath, o.args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  const stdout = child.stdout as Readable;
  let stderrTail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
  });
  let spawnError: Error | null = null;
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (e) => { spawnError ??= e; resolve(null); });
    child.once('close', (code) => resolve(code));
  });
  const running = (): boolean => child.exitCode === null && child.signalCode === null && spawnError === null;
  const kill = (): void => { if (running()) child.kill('SIGKILL'); };
  o.signal?.addEventListener('abort', kill, { once: true });

  // One-slot mailbox between the pump (reading stdout) and the consumer.
  let ready: Frame | null = null;
  let pumpDone = false;
  let pumpError: unknown = null;
  let wakeConsumer: (() => void) | null = null;
  let wakePump: (() => void) | null = null;
  const signalConsumer = (): void => { const w = wakeConsumer; wakeConsumer = null; w?.(); };
  const signalPump = (): void => { const w = wakePump; wakePump = null; w?.(); };
  let stopped = false;

  const pump = (async () => {
    let index = 0;
    let buffer = new Uint8Array(frameBytes);
    let filled = 0;
    try {
      for await (const chunk of stdout as AsyncIterable<Buffer>) {
        let offset = 0;
        while (offset < chunk.length) {
          const n = Math.min(frameBytes - filled, chunk.length - offset);
          buffer.set(chunk.subarray(offset, offset + n), filled);
          filled += n;
          offset += n;
          if (filled < frameBytes) continue;
          const frame: Frame = { gray: buffer, width: o.width, height: o.height, timestampMs: o.timestampMs(index), index, source: o.source };
          index++;
          buffer = new Uint8Array(frameBytes);
          filled = 0;
          if (o.mode === 'every') {
            while (ready !== null && !stopped) await new Promise<void>((r) => { wakePump = r; });
            if (stopped) return;
          }
          ready = frame;
          signalConsumer();
        }
      }
      if (filled > 0 && !stopped && !o.signal?.aborted) {
        const code = await exited;
        if (code === 0) pumpError = new FfmpegProcessError(`${o.source}: ffmpeg output ended inside frame ${index} (${filled} of ${frameBytes} bytes)`, code, stderrTail);
      }
    } catch (e) {
      if (!stopped) pumpError = e;
    } finally {
      pumpDone = true;
      signalConsumer();
    }
  })();

  try {
    for (;;) {
      while (ready === null && !pumpDone) await new Promise<void>((r) => { wakeConsumer = r; });
      if (o.signal?.aborted) throw abortError(o.signal);
      if (ready === null) break;
      const raw: Frame = ready;
      ready = null;
      signalPump();
      // Luma only for the frames delivered: in 'latest' mode most colour frames a slow consumer never sees.
      yield channels === 3 ? { ...raw, gray: lumaOfRgb(raw.gray), rgb: raw.gray } : raw;
      if (o.signal?.aborted) throw abortError(o.signal);
    }
    await pump;
    if (pumpError !== null) throw pumpError;
    const code = await exited;
    if (spawnError !== null) {
      throw new FfmpegProcessError(`${o.source}: cannot start ${o.ffmpegPath}: ${(spawnError as Error).message}`, null, stderrTail);
    }
    if (o.signal?.aborted) throw abortError(o.signal);
    if (code !== 0) {
      const detail = stderrTail.trim().split('\n').slice(-6).join('\n') || '(no message)';
      throw new FfmpegProcessError(`${o.source}: ffmpeg exited with code ${code}: ${detail}\ncommand: ${describeCommand(o.ffmpegPath, o.args)}`, code, stderrTail);
    }
  } finally {
    stopped = true;
    o.signal?.removeEventListener('abort', kill);
    kill();
    signalPump();
    await exited;
    await pump;
  }
}
