import { Worker } from 'node:worker_threads';
import type { Frame } from './frame.js';
import type { PreprocessOptions, PreprocessResult } from './preprocess.js';
import type { FromPreprocessWorker, ToPreprocessWorker } from './preprocess-protocol.js';

export interface PreprocessPoolOptions {
  /** Worker threads, each running its own `preprocess` (≥ 1). */
  readonly workers: number;
  /**
   * The worker's entry module (default: preprocess-worker-bootstrap.mjs, which registers tsx and serves the real
   * `preprocess`). Tests pass an entry that serves through a wrapper (delays, a thread that exits).
   */
  readonly entry?: URL;
}

/** `preprocess` in worker threads: a drop-in for it in `recognize` (same results, bit for bit). */
export interface PreprocessPool {
  readonly workers: number;
  preprocess(frame: Frame, options?: Partial<PreprocessOptions>): Promise<PreprocessResult>;
  /** Ends every worker; a frame still in flight is rejected (never left pending), and later calls reject. */
  close(): Promise<void>;
}

interface Job {
  readonly label: string;
  readonly resolve: (r: PreprocessResult) => void;
  readonly reject: (e: Error) => void;
}

interface Slot {
  readonly rank: number;
  readonly worker: Worker;
  readonly jobs: Map<number, Job>;
  alive: boolean;
  /** The worker's uncaught error, when it had one, for the exit message. */
  error: string | null;
}

const DEFAULT_ENTRY = new URL('./preprocess-worker-bootstrap.mjs', import.meta.url);

/** Frames whose preprocessing failed in a worker: the worker's message, with the frame it was for. */
export class PreprocessWorkerError extends Error {
  constructor(message: string, readonly rank: number, readonly frameLabel: string) {
    super(message);
    this.name = 'PreprocessWorkerError';
  }
}

const frameLabel = (f: Frame): string => `${f.source}#${f.index}`;

/**
 * Starts `workers` preprocessing threads and resolves once every one is ready (a worker that fails to start
 * rejects it). Each frame goes to the worker with the fewest frames in flight (the lowest rank among equals); its
 * gray and rgb planes are copied into fresh buffers that are transferred, so the caller's frame stays usable.
 * While a worker has no frame in flight it does not keep the process alive.
 */
export async function openPreprocessPool(o: PreprocessPoolOptions): Promise<PreprocessPool> {
  if (!Number.isInteger(o.workers) || o.workers < 1) throw new TypeError(`openPreprocessPool: workers must be an integer ≥ 1, got ${o.workers}`);
  const entry = o.entry ?? DEFAULT_ENTRY;
  const slots: Slot[] = [];
  let nextId = 0;
  let closed = false;
  const ready: Promise<void>[] = [];

  const settleAll = (slot: Slot, why: (job: Job) => Error): void => {
    const jobs = [...slot.jobs.values()];
    slot.jobs.clear();
    for (const j of jobs) j.reject(why(j));
  };

  for (let rank = 0; rank < o.workers; rank++) {
    const worker = new Worker(entry, { execArgv: [] });
    const slot: Slot = { rank, worker, jobs: new Map(), alive: true, error: null };
    slots.push(slot);
    ready.push(new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on('message', (m: FromPreprocessWorker) => {
        if (m.type === 'ready') {
          started = true;
          worker.unref();
          resolve();
          return;
        }
        const job = slot.jobs.get(m.id);
        if (!job) return;
        slot.jobs.delete(m.id);
        if (slot.jobs.size === 0) worker.unref();
        if (m.type === 'result') job.resolve(m.result);
        else {
          const e = new PreprocessWorkerError(`preprocess worker ${rank}, frame ${job.label}: ${m.message}`, rank, job.label);
          if (m.name === 'TypeError') e.name = 'TypeError';
          job.reject(e);
        }
      });
      worker.on('error', (e) => { slot.error = e.message; });
      worker.on('exit', (code) => {
        slot.alive = false;
        const how = `preprocess worker ${rank} exited with code ${code}${slot.error ? ` (${slot.error})` : ''}`;
        if (!started) reject(new Error(`${how} before it was ready`));
        settleAll(slot, (j) => new PreprocessWorkerError(closed ? `preprocess pool closed with frame ${j.label} in flight (worker ${rank})` : `${how} with frame ${j.label} in flight`, rank, j.label));
      });
    }));
  }
  try {
    await Promise.all(ready);
  } catch (e) {
    closed = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw e;
  }

  return {
    workers: o.workers,
    preprocess(frame, options = {}) {
      if (closed) return Promise.reject(new Error(`preprocess pool is closed (frame ${frameLabel(frame)})`));
      let slot: Slot | undefined;
      for (const s of slots) if (s.alive && (!slot || s.jobs.size < slot.jobs.size)) slot = s;
      if (!slot) return Promise.reject(new Error(`every preprocess worker has exited (frame ${frameLabel(frame)}): ${slots.map((s) => `worker ${s.rank}${s.error ? ` (${s.error})` : ''}`).join(', ')}`));
      const gray = new Uint8Array(frame.gray);
      const rgb = frame.rgb === undefined ? undefined : new Uint8Array(frame.rgb);
      // The Frame fields only (a source's frame may carry more, e.g. a synthesizer's truth), planes copied.
      const wire: Frame = {
        gray, width: frame.width, height: frame.height, timestampMs: frame.timestampMs, index: frame.index, source: frame.source,
        ...(rgb === undefined ? {} : { rgb }), ...(frame.label === undefined ? {} : { label: frame.label }),
      };
      const id = nextId++;
      const chosen = slot;
      return new Promise<PreprocessResult>((resolve, reject) => {
        chosen.jobs.set(id, { label: frameLabel(frame), resolve, reject });
        if (chosen.jobs.size === 1) chosen.worker.ref();
        const m: ToPreprocessWorker = { type: 'preprocess', id, frame: wire, options };
        try {
          chosen.worker.postMessage(m, rgb === undefined ? [gray.buffer] : [gray.buffer, rgb.buffer]);
        } catch (e) {
          chosen.jobs.delete(id);
          if (chosen.jobs.size === 0) chosen.worker.unref();
          reject(new Error(`preprocess worker ${chosen.rank}, frame ${frameLabel(frame)}: could not send it: ${(e as Error).message}`));
        }
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      // terminate() makes each worker exit; its exit handler rejects whatever it still held.
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
