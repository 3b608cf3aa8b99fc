import { Worker } from 'node:worker_threads';
import type { DigitSet } from '../data/index.js';
import { barrierAbort, BARRIER_INTS } from './barrier.js';
import { statisticsSlots } from './batch-norm.js';
import { shardRange } from './batches.js';
import type { FromWorker, ReplicaSettings, ToWorker, WorkerInit } from './parallel-protocol.js';

export interface ParallelConfig extends ReplicaSettings {
  readonly train: DigitSet;
  readonly test: DigitSet;
}

export interface ParallelEpoch {
  readonly lossSum: number;
  readonly correct: number;
  readonly seen: number;
  readonly learningRate: number;
  readonly testPredictions: Uint8Array;
  /** Slowest replica's training time for the epoch (evaluation excluded). */
  readonly trainSeconds: number;
}

function shared(bytes: Uint8Array): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(bytes.byteLength);
  new Uint8Array(sab).set(bytes);
  return sab;
}

/**
 * W training replicas in worker threads, one tfjs wasm backend each. Every step each replica computes the gradient
 * of its share of the global batch, the replicas sum the shares (rank order, identical bits everywhere) through
 * shared memory, and each applies the same Adam update: the weights stay identical, which every epoch verifies.
 */
export class DataParallelTrainer {
  private readonly workers: Worker[] = [];
  private readonly ctrl: Int32Array;
  private failure: Error | null = null;
  private closing = false;
  private waiters: Array<{ type: FromWorker['type']; got: Map<number, FromWorker>; resolve: (m: FromWorker[]) => void; reject: (e: Error) => void }> = [];
  private progressHandler: ((m: Extract<FromWorker, { type: 'progress' }>) => void) | null = null;
  private lossHandler: ((m: Extract<FromWorker, { type: 'loss' }>) => void) | null = null;

  private constructor(private readonly c: ParallelConfig, gradientSize: number) {
    const W = c.workers;
    const barrier = new SharedArrayBuffer(BARRIER_INTS * 4);
    this.ctrl = new Int32Array(barrier);
    const base = {
      workers: W, layers: c.layers, seed: c.seed, epochs: c.epochs, batchSize: c.batchSize, learningRate: c.learningRate,
      labelSmoothing: c.labelSmoothing, emaDecay: c.emaDecay, emaWarmup: c.emaWarmup, augment: c.augment, cleanEpochs: c.cleanEpochs, batchNorm: c.batchNorm,
      trainImages: shared(c.train.images), trainLabels: shared(c.train.labels), trainCount: c.train.count,
      testImages: shared(c.test.images), testCount: c.test.count,
      gradients: new SharedArrayBuffer(2 * W * gradientSize * 4), losses: new SharedArrayBuffer(2 * W * 8), barrier,
      statistics: new SharedArrayBuffer(c.batchNorm ? statisticsSlots(c.layers, c.train.count) * 8 : 0),
    };
    const entry = new URL('./train-worker-bootstrap.mjs', import.meta.url);
    for (let rank = 0; rank < W; rank++) {
      const init: WorkerInit = { ...base, rank };
      const w = new Worker(entry, { workerData: init, execArgv: [] });
      w.on('message', (m: FromWorker) => this.onMessage(m));
      w.on('error', (e) => this.fail(new Error(`training worker ${rank}: ${e.message}`)));
      w.on('exit', (code) => { if (code !== 0 && !this.closing) this.fail(new Error(`training worker ${rank} exited with code ${code}`)); });
      this.workers.push(w);
    }
  }

  static async start(c: ParallelConfig, gradientSize: number): Promise<DataParallelTrainer> {
    if (!Number.isInteger(c.workers) || c.workers < 1) throw new Error(`workers must be an integer ≥ 1, got ${c.workers}`);
    const t = new DataParallelTrainer(c, gradientSize);
    const ready = await t.collect('ready');
    for (const m of ready) {
      if (m.type === 'ready' && m.gradientSize !== gradientSize) {
        await t.close();
        throw new Error(`training worker ${m.rank}: gradient size ${m.gradientSize}, expected ${gradientSize}`);
      }
    }
    return t;
  }

  onProgress(h: (m: Extract<FromWorker, { type: 'progress' }>) => void): void {
    this.progressHandler = h;
  }

  /** h sees every step's global mean loss, in step order, before the epoch that holds the step resolves. */
  onLoss(h: (m: Extract<FromWorker, { type: 'loss' }>) => void): void {
    this.lossHandler = h;
  }

  /**
   * Stops the run with `reason`: the replicas' next barrier throws (they stop within a step), and the pending and
   * every later call rejects with `reason`.
   */
  stop(reason: Error): void {
    this.fail(reason);
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'error') {
      this.fail(new Error(`training worker ${m.rank}: ${m.message}`));
      return;
    }
    if (m.type === 'progress') {
      this.progressHandler?.(m);
      return;
    }
    if (m.type === 'loss') {
      this.lossHandler?.(m);
      return;
    }
    const w = this.waiters.find((x) => x.type === m.type);
    if (!w) return;
    w.got.set(m.rank, m);
    if (w.got.size === this.workers.length) {
      this.waiters = this.waiters.filter((x) => x !== w);
      w.resolve([...w.got.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v));
    }
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    barrierAbort(this.ctrl);
    for (const w of this.waiters) w.reject(e);
    this.waiters = [];
  }

  private collect(type: FromWorker['type'], send?: ToWorker): Promise<FromWorker[]> {
    if (this.failure) return Promise.reject(this.failure);
    const p = new Promise<FromWorker[]>((resolve, reject) => this.waiters.push({ type, got: new Map(), resolve, reject }));
    if (send) for (const w of this.workers) w.postMessage(send);
    return p;
  }

  async epoch(epoch: number): Promise<ParallelEpoch> {
    const replies = (await this.collect('epoch', { type: 'epoch', epoch })) as Extract<FromWorker, { type: 'epoch' }>[];
    const hashes = new Set(replies.map((r) => r.weightsHash));
    if (hashes.size !== 1) throw new Error(`epoch ${epoch}: the replicas' weights diverged (hashes ${replies.map((r) => r.weightsHash).join(', ')})`);
    const testPredictions = new Uint8Array(this.c.test.count);
    for (const r of replies) testPredictions.set(r.testPredictions, shardRange(this.c.test.count, this.workers.length, r.rank)[0]);
    return {
      lossSum: replies.reduce((a, r) => a + r.lossSum, 0),
      correct: replies.reduce((a, r) => a + r.correct, 0),
      seen: replies.reduce((a, r) => a + r.seen, 0),
      learningRate: replies[0].learningRate,
      testPredictions,
      trainSeconds: Math.max(...replies.map((r) => r.seconds)),
    };
  }

  /**
   * Replica 0's evaluation weights in the plain model's getWeights() order (all replicas hold the same); with
   * batchNorm, folded (batch-norm.ts).
   */
  async weights(): Promise<Float32Array[]> {
    const replies = await this.collect('weights', { type: 'weights' });
    const r = replies[0];
    if (r.type !== 'weights') throw new Error('unexpected reply to weights');
    return r.values;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
