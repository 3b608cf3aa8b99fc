/**
 * A reusable barrier for worker threads on a SharedArrayBuffer (Int32Array of 3: arrived, generation, aborted).
 * The last to arrive resets the count and bumps the generation; the others sleep on the generation. Anyone may
 * abort it (a replica failed, or the main thread stopped a diverging run): every waiter then throws instead of
 * waiting forever, and so does every later arrival.
 */
export const BARRIER_INTS = 3;
const ARRIVED = 0;
const GENERATION = 1;
const ABORTED = 2;

export class BarrierAbortedError extends Error {
  constructor() {
    super('training barrier aborted: another worker failed');
    this.name = 'BarrierAbortedError';
  }
}

/** Waits for all `parties`; throws BarrierAbortedError if the barrier was aborted (checked even when alone). */
export function barrierWait(ctrl: Int32Array, parties: number): void {
  const gen = Atomics.load(ctrl, GENERATION);
  if (Atomics.load(ctrl, ABORTED) !== 0) throw new BarrierAbortedError();
  if (parties === 1) return;
  if (Atomics.add(ctrl, ARRIVED, 1) === parties - 1) {
    Atomics.store(ctrl, ARRIVED, 0);
    Atomics.add(ctrl, GENERATION, 1);
    Atomics.notify(ctrl, GENERATION);
    return;
  }
  while (Atomics.load(ctrl, GENERATION) === gen) {
    Atomics.wait(ctrl, GENERATION, gen, 200);
    if (Atomics.load(ctrl, ABORTED) !== 0) throw new BarrierAbortedError();
  }
}

export function barrierAbort(ctrl: Int32Array): void {
  Atomics.store(ctrl, ABORTED, 1);
  Atomics.add(ctrl, GENERATION, 1);
  Atomics.notify(ctrl, GENERATION);
}
