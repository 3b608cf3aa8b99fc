/**
 * The serve message format (protocol v1) against its golden vectors, the text-message checks, the fair
 * scheduler's turn order, and the probabilities the page's bars show.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS, encodeFrameMessage, FairScheduler, FrameFormatError, parseClientMessage, parseFrameMessage, SchedulerClosedError, softmax,
  type FrameHeader,
} from '../src/serve/index.js';
import { topConfidence } from '../src/cli/live/stabilizer.js';

interface Golden {
  frames: { what: string; header: FrameHeader; payload: string; message: string }[];
  rejected: { what: string; message: string; code: string }[];
}
const golden = JSON.parse(readFileSync('test/fixtures/serve/frames-v1.json', 'utf8')) as Golden;
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof FrameFormatError) return e.code;
    throw e;
  }
  return 'accepted';
}

describe('serve frame messages (v1)', () => {
  for (const g of golden.frames) {
    it(`encodes and parses the golden vector: ${g.what}`, () => {
      expect(Buffer.from(encodeFrameMessage(g.header, hex(g.payload))).toString('hex')).toBe(Buffer.from(hex(g.message)).toString('hex'));
      const m = parseFrameMessage(hex(g.message), DEFAULT_LIMITS);
      expect(m.header).toEqual(g.header);
      expect(Array.from(m.payload)).toEqual(Array.from(hex(g.payload)));
    });
  }
  for (const r of golden.rejected) {
    it(`rejects: ${r.what}`, () => {
      expect(codeOf(() => parseFrameMessage(hex(r.message), DEFAULT_LIMITS))).toBe(r.code);
    });
  }

  it('names the byte offset and what was expected', () => {
    const bad = hex(golden.frames[0].message);
    bad[0] = 0;
    expect(() => parseFrameMessage(bad, DEFAULT_LIMITS)).toThrow(/byte 0: expected the frame magic 45 44/);
    const big = { ...golden.frames[0].header, width: 2000, height: 2000 };
    expect(() => parseFrameMessage(encodeFrameMessage(big, new Uint8Array(4)), DEFAULT_LIMITS)).toThrow(/exceeds the limits/);
  });
});

describe('serve text messages', () => {
  it('accepts reset and ping, refuses everything else with a code', () => {
    expect(parseClientMessage('{"v":1,"type":"reset"}', DEFAULT_LIMITS)).toEqual({ v: 1, type: 'reset' });
    expect(parseClientMessage('{"v":1,"type":"ping","t":5}', DEFAULT_LIMITS)).toEqual({ v: 1, type: 'ping', t: 5 });
    const code = (s: string): string => codeOf(() => parseClientMessage(s, DEFAULT_LIMITS));
    expect(code('nope')).toBe('bad-json');
    expect(code('"str"')).toBe('bad-message');
    expect(code('null')).toBe('bad-message');
    expect(code('{"v":1}')).toBe('bad-message');
    expect(code('{"v":3,"type":"reset"}')).toBe('unsupported-version');
    expect(code('{"v":1,"type":"shutdown"}')).toBe('unknown-type');
  });
});

describe('FairScheduler', () => {
  it('serves keys in turn, whatever order their jobs arrived in', async () => {
    const s = new FairScheduler(1);
    const order: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => { release = r; });
    const job = (name: string) => async (): Promise<void> => { order.push(name); await gate; };
    // A floods first, then B and C each submit two.
    const all = [
      ...['a1', 'a2', 'a3', 'a4'].map((n) => s.run('A', job(n))),
      ...['b1', 'b2'].map((n) => s.run('B', job(n))),
      ...['c1', 'c2'].map((n) => s.run('C', job(n))),
    ];
    release();
    await Promise.all(all);
    expect(order).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'c2', 'a3', 'a4']);
  });

  it('runs at most `concurrency` jobs, and cancelling a key rejects only its waiting jobs', async () => {
    const s = new FairScheduler(2);
    let running = 0;
    let peak = 0;
    const job = async (): Promise<number> => { running++; peak = Math.max(peak, running); await new Promise((r) => setTimeout(r, 5)); running--; return 1; };
    const a = [s.run('A', job), s.run('A', job), s.run('A', job)];
    const b = [s.run('B', job), s.run('B', job)];
    s.cancel('A', 'tab A closed');
    const settled = await Promise.allSettled([...a, ...b]);
    expect(peak).toBe(2);
    // A's first two jobs took the two free slots at once; its third was waiting.
    expect(settled.map((x) => x.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason).toBeInstanceOf(SchedulerClosedError);
    expect(s.queued).toBe(0);
    expect(s.active).toBe(0);
  });
});

describe('softmax for the bars', () => {
  it('sums to 1 and agrees with the stabilizer\'s confidence on the top class', () => {
    const logits = [-20, 5, 60, -3, 0, 1, 2, -128, 127, 9];
    const p = softmax(logits, 0.1, -5);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    expect(Math.max(...p)).toBeCloseTo(topConfidence(logits, 0.1, -5), 4);
    expect(p.indexOf(Math.max(...p))).toBe(8);
  });
});
