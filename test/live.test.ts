import { describe, expect, it } from 'vitest';
import { mnistFrames, preprocess, type Frame } from '../src/camera/index.js';
import { loadArtifact, Simulator } from '../src/quantize/index.js';
import { recognize, type DigitClassifier, type FrameOutcome } from '../src/cli/live/recognize.js';
import { percentile, Stabilizer, topConfidence } from '../src/cli/live/stabilizer.js';

describe('Stabilizer', () => {
  it('answers only once a digit holds a majority of the window, and keeps it through a stray frame', () => {
    const s = new Stabilizer(5, 0.5);
    expect(s.push(3, 0.9).digit).toBeNull();
    expect(s.push(3, 0.9).digit).toBeNull();
    expect(s.push(3, 0.9).digit).toBe(3);
    expect(s.push(8, 0.9).digit).toBe(3);
    expect(s.push(null, 0).digit).toBe(3);
    expect(s.push(8, 0.9).digit).toBe(null); // window: 3 3 8 null 8 → no majority of 3
  });

  it('ignores frames below the confidence floor', () => {
    const s = new Stabilizer(3, 0.8);
    s.push(4, 0.5);
    s.push(4, 0.5);
    expect(s.push(4, 0.5).digit).toBeNull();
    expect(s.push(4, 0.9).votes).toBe(1);
  });

  it('rejects a bad window', () => {
    expect(() => new Stabilizer(0, 0.5)).toThrow(/window must be a positive integer, got 0/);
  });
});

describe('topConfidence and percentile', () => {
  it('is the softmax of the dequantized logits', () => {
    // logits (q − zp)·scale = 0 and ln 3 → probabilities 1/4, 3/4
    const scale = Math.log(3) / 10;
    expect(topConfidence([5, 15], scale, 5)).toBeCloseTo(0.75, 10);
    expect(topConfidence(new Array(10).fill(-3), 0.1, 0)).toBeCloseTo(0.1, 10);
  });

  it('nearest-rank percentiles', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 99)).toBe(5);
    expect(percentile([], 50)).toBe(0);
  });
});

describe('recognize', () => {
  const artifact = loadArtifact('models/default/model.int8.json');
  const sim = new Simulator(artifact);
  const classifier: DigitClassifier = { name: 'sim', classify: async (p) => sim.classify(p), close: async () => {} };

  async function* withBlank(frames: AsyncIterable<Frame>): AsyncGenerator<Frame> {
    let i = 0;
    for await (const f of frames) {
      yield f;
      if (i++ === 3) yield { gray: new Uint8Array(f.width * f.height).fill(200), width: f.width, height: f.height, timestampMs: 0, index: 999, source: 'blank', label: 5 };
    }
  }

  it('delivers every frame in order, classifies digits, counts blanks as no digit, and sums up', async () => {
    const seen: FrameOutcome[] = [];
    const summary = await recognize(withBlank(mnistFrames({ count: 24, seed: 3 })), {
      classifier, preprocess, preprocessOptions: {}, window: 4, stableWindow: 3, minConfidence: 0.5,
      outputScale: artifact.output.scale, outputZeroPoint: artifact.output.zeroPoint,
      onOutcome: (o) => { seen.push(o); },
    });
    expect(seen.map((o) => o.frame.index)).toEqual([0, 1, 2, 3, 999, ...Array.from({ length: 20 }, (_, k) => k + 4)]);
    expect(summary.frames).toBe(25);
    expect(summary.noDigit.blank).toBe(1);
    expect(summary.digits).toBe(24);
    expect(summary.labelled).toBe(25);
    // camera-like frames of real test digits: the model gets nearly all; the blank frame counts as wrong
    expect(summary.correct).toBeGreaterThanOrEqual(22);
    expect(summary.accuracy).toBeCloseTo(summary.correct / 25, 10);
    for (const o of seen.filter((x) => x.pre.kind === 'digit')) {
      expect(Array.from(o.logits ?? [])).toEqual(Array.from(sim.classify((o.pre as { pixels: Uint8Array }).pixels).logits));
    }
  });

  it('rejects when the classifier fails, after letting in-flight work finish', async () => {
    let calls = 0;
    const failing: DigitClassifier = { name: 'x', classify: async () => { if (++calls === 3) throw new Error('board unplugged'); return sim.classify(new Uint8Array(784)); }, close: async () => {} };
    await expect(recognize(mnistFrames({ count: 10 }), {
      classifier: failing, preprocess, preprocessOptions: {}, window: 2, stableWindow: 3, minConfidence: 0.5,
      outputScale: 1, outputZeroPoint: 0, onOutcome: () => {},
    })).rejects.toThrow(/board unplugged/);
  });
});
