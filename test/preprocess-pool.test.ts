import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  mnistOnPaper, openPreprocessPool, preprocess, PreprocessWorkerError, synthesizeScene, frameSeed, ROOM_CONDITIONS, TUNING_VARIANT,
  type Frame, type PreprocessPool, type PreprocessResult,
} from '../src/camera/index.js';
import { createRng, imageAt, loadDigitSet } from '../src/data/index.js';
import { recognize, type DigitClassifier, type FrameOutcome } from '../src/cli/live/recognize.js';
import { canonical } from './canonical-result.js';

const TEST_ENTRY = new URL('./preprocess-pool-worker.mjs', import.meta.url);
const digits = loadDigitSet('mnist:test', 50);

function blank(index: number, source = 'blank'): Frame {
  return { gray: new Uint8Array(160 * 120).fill(200), width: 160, height: 120, timestampMs: 0, index, source };
}

describe('openPreprocessPool', () => {
  let pool: PreprocessPool;
  beforeAll(async () => { pool = await openPreprocessPool({ workers: 2 }); });
  afterAll(async () => { await pool.close(); });

  test('gives the in-thread result, field for field, on rendered scenes, clean digits and a blank', async () => {
    const frames: Frame[] = [];
    for (const [k, condition] of ['plain', 'glare', 'small-sheet'].entries()) {
      expect(ROOM_CONDITIONS).toContain(condition);
      const s = await synthesizeScene(imageAt(digits, k), createRng(frameSeed(7, k)), { width: 320, height: 240, condition: condition as (typeof ROOM_CONDITIONS)[number], variant: TUNING_VARIANT });
      frames.push({ gray: s.gray, rgb: s.rgb, width: s.width, height: s.height, timestampMs: 0, index: k, source: `scene-${condition}` });
    }
    for (let i = 10; i < 12; i++) frames.push(mnistOnPaper(imageAt(digits, i), i, digits.source));
    frames.push(blank(99));
    const before = frames.map((f) => Buffer.from(f.gray).toString('hex').slice(0, 64));
    const [here, there] = await Promise.all([
      Promise.all(frames.map((f) => preprocess(f))),
      Promise.all(frames.map((f) => pool.preprocess(f))),
    ]);
    expect(there.map(canonical)).toEqual(here.map(canonical));
    expect(here.some((r) => r.kind === 'digit')).toBe(true);
    expect(here.at(-1)?.kind).toBe('none');
    // The caller's planes are copied for the trip, not detached.
    expect(frames.map((f) => Buffer.from(f.gray).toString('hex').slice(0, 64))).toEqual(before);
    // Options reach the worker.
    const f = frames[3];
    expect(canonical(await pool.preprocess(f, { threshold: 'adaptive', polarity: 'dark-on-light' })))
      .toBe(canonical(await preprocess(f, { threshold: 'adaptive', polarity: 'dark-on-light' })));
  });

  test('a frame that throws in the worker rejects with its message and the frame', async () => {
    const bad: Frame = { ...blank(5, 'cam0'), width: 7 };
    await expect(pool.preprocess(bad)).rejects.toThrow(/preprocess worker \d, frame cam0#5: .*gray has 19200 bytes/);
    await expect(pool.preprocess(bad)).rejects.toMatchObject({ name: 'TypeError', rank: expect.any(Number), frameLabel: 'cam0#5' });
    await expect(pool.preprocess(bad)).rejects.toBeInstanceOf(PreprocessWorkerError);
    // The pool keeps serving.
    expect((await pool.preprocess(blank(6))).kind).toBe('none');
  });

  test('rejects a worker count that is not a positive integer', async () => {
    await expect(openPreprocessPool({ workers: 0 })).rejects.toThrow(/workers must be an integer ≥ 1, got 0/);
    await expect(openPreprocessPool({ workers: 1.5 })).rejects.toThrow(/got 1.5/);
  });
});

describe('a pool in recognize', () => {
  test('outcomes come in frame order when later frames finish first', async () => {
    const pool = await openPreprocessPool({ workers: 2, entry: TEST_ENTRY });
    try {
      const finished: number[] = [];
      const timed = async (f: Frame): Promise<PreprocessResult> => { const r = await pool.preprocess(f); finished.push(f.index); return r; };
      const frames: Frame[] = [0, 1, 2, 3, 4, 5].map((i) => {
        const m = mnistOnPaper(imageAt(digits, i), i, digits.source);
        return { ...m, source: i % 3 === 0 ? `delay:400:${i}` : `plain:${i}` };
      });
      async function* source(): AsyncGenerator<Frame> { yield* frames; }
      const classifier: DigitClassifier = { name: 'echo', classify: async () => ({ digit: 1, logits: new Int8Array(10) }), close: async () => {} };
      const seen: FrameOutcome[] = [];
      const s = await recognize(source(), {
        classifier, preprocess: timed, preprocessOptions: {}, window: 6, outputScale: 1 / 256, outputZeroPoint: -128,
        stableWindow: 3, minConfidence: 0.5, onOutcome: (o) => { seen.push(o); },
      });
      expect(s.frames).toBe(6);
      expect(seen.map((o) => o.frame.index)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(finished.indexOf(1)).toBeLessThan(finished.indexOf(0));
      for (const o of seen) expect(canonical(o.pre)).toBe(canonical(await preprocess(frames[o.frame.index])));
    } finally {
      await pool.close();
    }
  });
});

describe('failures', () => {
  test('a worker that dies rejects its frames, names itself and the exit code; the pool does not hang', async () => {
    const pool = await openPreprocessPool({ workers: 2, entry: TEST_ENTRY });
    try {
      // Worker 0 takes the slow frame, worker 1 the fatal one (least busy), then worker 0 the next.
      const slow = pool.preprocess({ ...blank(1), source: 'delay:300:a' });
      const dying = pool.preprocess({ ...blank(2), source: 'exit:7' });
      await expect(dying).rejects.toThrow(/preprocess worker 1 exited with code 7 with frame exit:7#2 in flight/);
      expect((await slow).kind).toBe('none');
      // The survivor serves the rest.
      expect((await pool.preprocess(blank(3))).kind).toBe('none');
      const last = pool.preprocess({ ...blank(4), source: 'exit:3' });
      await expect(last).rejects.toThrow(/preprocess worker 0 exited with code 3/);
      await expect(pool.preprocess(blank(5))).rejects.toThrow(/every preprocess worker has exited \(frame blank#5\)/);
    } finally {
      await pool.close();
    }
  });

  test('close() rejects a frame still in flight, and later calls reject', async () => {
    const pool = await openPreprocessPool({ workers: 1, entry: TEST_ENTRY });
    const pending = pool.preprocess({ ...blank(1), source: 'delay:5000:x' });
    const t0 = performance.now();
    await pool.close();
    await expect(pending).rejects.toThrow(/preprocess pool closed with frame delay:5000:x#1 in flight/);
    expect(performance.now() - t0).toBeLessThan(3000);
    await expect(pool.preprocess(blank(2))).rejects.toThrow(/preprocess pool is closed \(frame blank#2\)/);
    await pool.close();
  });
});
