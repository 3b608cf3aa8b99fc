/**
 * The board link's reliability rules (src/device/request-tracker.ts) on a fake clock: one seq per request across
 * retries, bounded attempts, reply matching, copies in flight, the window, suspend/resume, and — as a property —
 * that over a lossy, duplicating, reordering channel every request settles exactly once and never with an answer
 * computed from another request's pixels.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoardProtocolError, DisconnectedError, RequestTracker, TimeoutError, type Timers } from '../src/device/index.js';
import {
  EdSysex, ErrorReason, Layout, decodeEdSysexBody, encodeClassifyRequest, encodeProtocolInfoQuery, type ClassifyReply, type ErrorReply,
} from '../src/device/protocol/index.js';

class FakeTimers implements Timers {
  private t = 0;
  private nextId = 1;
  private readonly due = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = this.nextId++;
    this.due.set(id, { at: this.t + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }

  get armed(): number {
    return this.due.size;
  }

  /** Runs every timer due up to now + ms, in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.due) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.due.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
}

const PORT = '/dev/ttyFAKE0';

/** The request a frame carries, as the board would decode it. */
function decodeRequest(frame: Uint8Array): { command: number; seq: number; payload: Uint8Array } {
  const command = frame[1];
  const payloadLength = command === EdSysex.CLASSIFY_REQUEST ? Layout.PIXEL_COUNT : 0;
  const { seq, payload } = decodeEdSysexBody(command, Array.from(frame.subarray(2, frame.length - 1)), payloadLength);
  return { command, seq, payload };
}

/** A deterministic stand-in classifier: logits from the first pixels, so an answer names the image it came from. */
function answerFor(seq: number, pixels: Uint8Array): ClassifyReply {
  const logits = Int8Array.from(pixels.subarray(0, 10), (v) => (v & 0x7f) - 64);
  let digit = 0;
  for (let k = 1; k < 10; k++) if (logits[k] > logits[digit]) digit = k;
  return { kind: 'classify-reply', seq, status: 0, digit, logits, inferenceMicros: 100 };
}

function errorFor(seq: number | null, reason: number, command: number = EdSysex.CLASSIFY_REQUEST): ErrorReply {
  return { kind: 'error-reply', seq, reason, command, receivedLength: 901, offendingByte: 0 };
}

function image(tag: number): Uint8Array {
  const px = new Uint8Array(Layout.PIXEL_COUNT);
  for (let i = 0; i < px.length; i++) px[i] = (tag * 31 + i * 7) & 0xff;
  return px;
}

function setup(o: Partial<{ timeoutMs: number; attempts: number; maxInFlight: number; disconnectedWaitMs: number }> = {}) {
  const timers = new FakeTimers();
  const sent: Uint8Array[] = [];
  const tracker = new RequestTracker({ port: PORT, timeoutMs: 100, attempts: 3, maxInFlight: 4, disconnectedWaitMs: 1000, ...o, timers });
  tracker.resume((f) => sent.push(f));
  const classify = (pixels: Uint8Array) => tracker.classify((seq) => encodeClassifyRequest(seq, pixels));
  return { timers, sent, tracker, classify };
}

/** Lets promise callbacks run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('RequestTracker', () => {
  it('sends a frame and resolves with the reply of the same seq', async () => {
    const { sent, tracker, classify, timers } = setup();
    const px = image(1);
    const p = classify(px);
    expect(sent).toHaveLength(1);
    const { seq, payload } = decodeRequest(sent[0]);
    expect(payload).toEqual(px);
    timers.advance(7);
    tracker.handleReply(answerFor(seq, px));
    const a = await p;
    expect(a.attempts).toBe(1);
    expect(a.roundTripMs).toBe(7);
    expect(a.reply.logits).toEqual(answerFor(seq, px).logits);
    expect(timers.armed).toBe(0);
  });

  it('retries a timed-out request with the same seq and frame, then rejects with TimeoutError naming port and command', async () => {
    const { sent, classify, timers, tracker } = setup({ attempts: 3 });
    const p = classify(image(2));
    const caught = p.catch((e: unknown) => e);
    timers.advance(100);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual(sent[0]);
    timers.advance(100);
    expect(sent).toHaveLength(3);
    timers.advance(100);
    const e = await caught;
    expect(e).toBeInstanceOf(TimeoutError);
    expect((e as Error).message).toContain(PORT);
    expect((e as Error).message).toContain('CLASSIFY_REQUEST seq 0');
    expect((e as Error).message).toContain('3 attempt');
    expect(tracker.stats.timeouts).toBe(3);
    expect(tracker.size).toBe(0);
  });

  it('resends at once on an error reply for its seq and reports the reasons when the board keeps rejecting', async () => {
    const { sent, classify, tracker } = setup({ attempts: 2 });
    const caught = classify(image(3)).catch((e: unknown) => e);
    const { seq } = decodeRequest(sent[0]);
    tracker.handleErrorReply(errorFor(seq, ErrorReason.BAD_CRC));
    expect(sent).toHaveLength(2);
    tracker.handleErrorReply(errorFor(seq, ErrorReason.BAD_LENGTH));
    const e = await caught;
    expect(e).toBeInstanceOf(BoardProtocolError);
    expect((e as BoardProtocolError).reason).toBe('BAD_LENGTH');
    expect((e as Error).message).toMatch(/BAD_CRC, BAD_LENGTH/);
  });

  it('drops late and duplicate replies and replies for unknown seqs without touching other requests', async () => {
    const { sent, classify, tracker } = setup();
    const a = image(4);
    const b = image(5);
    const pa = classify(a);
    const pb = classify(b);
    const seqA = decodeRequest(sent[0]).seq;
    const seqB = decodeRequest(sent[1]).seq;
    tracker.handleReply(answerFor(999, a)); // nobody's
    tracker.handleReply({ ...answerFor(seqA, a), kind: 'classify-reply' });
    tracker.handleReply(answerFor(seqA, a)); // duplicate
    expect((await pa).reply.logits).toEqual(answerFor(seqA, a).logits);
    tracker.handleReply(answerFor(seqB, b));
    expect((await pb).reply.logits).toEqual(answerFor(seqB, b).logits);
    expect(tracker.stats.unmatchedReplies).toBe(2);
    expect(tracker.stats.replies).toBe(2);
  });

  it('does not resend on an error for an older copy while a newer copy is still in flight', async () => {
    const { sent, classify, tracker, timers } = setup({ attempts: 4 });
    const px = image(6);
    const p = classify(px);
    const { seq } = decodeRequest(sent[0]);
    timers.advance(100); // copy 1 presumed lost (it lost its F7): copy 2 goes out
    expect(sent).toHaveLength(2);
    // copy 2's F0 makes the board reject the truncated copy 1
    tracker.handleErrorReply({ ...errorFor(seq, ErrorReason.STRAY_STATUS_BYTE), offendingByte: 0xf0 });
    expect(sent).toHaveLength(2);
    tracker.handleReply(answerFor(seq, px));
    expect((await p).attempts).toBe(2);
  });

  it('resends at once a request overtaken by a later transmission\'s answer (the board answers in order)', async () => {
    const { sent, classify, tracker, timers } = setup({ attempts: 3 });
    const a = image(20);
    const b = image(21);
    const pa = classify(a);
    const pb = classify(b);
    const seqA = decodeRequest(sent[0]).seq;
    tracker.handleReply(answerFor(decodeRequest(sent[1]).seq, b)); // a's reply was lost on the way
    expect(sent).toHaveLength(3);
    expect(sent[2]).toEqual(sent[0]);
    await pb;
    timers.advance(5);
    tracker.handleReply(answerFor(seqA, a));
    expect((await pa).attempts).toBe(2);
    expect(tracker.stats.overtaken).toBe(1);
    expect(tracker.stats.timeouts).toBe(0);
  });

  it('matches a seq-less error to the only request in flight, and ignores it when several could be meant', async () => {
    const one = setup();
    const p = one.classify(image(7)).catch(() => undefined);
    one.tracker.handleErrorReply(errorFor(null, ErrorReason.BAD_LENGTH, Layout.NO_COMMAND));
    expect(one.sent).toHaveLength(2);
    one.tracker.close('test over');
    await p;

    const two = setup();
    const p1 = two.classify(image(8)).catch(() => undefined);
    const p2 = two.classify(image(9)).catch(() => undefined);
    two.tracker.handleErrorReply(errorFor(null, ErrorReason.BAD_LENGTH, Layout.NO_COMMAND));
    two.tracker.handleErrorReply(errorFor(null, ErrorReason.UNKNOWN_COMMAND, 0x7a)); // about other traffic
    expect(two.sent).toHaveLength(2);
    expect(two.tracker.stats.unmatchedErrorReplies).toBe(2);
    two.tracker.close('test over');
    await Promise.all([p1, p2]);
  });

  it('keeps at most maxInFlight requests on the wire, in submission order', async () => {
    const { sent, classify, tracker } = setup({ maxInFlight: 2 });
    const imgs = [10, 11, 12, 13, 14].map(image);
    const ps = imgs.map((px) => classify(px));
    expect(sent).toHaveLength(2);
    expect(tracker.inFlight).toBe(2);
    for (let i = 0; i < imgs.length; i++) {
      const { seq, payload } = decodeRequest(sent[i]);
      expect(payload).toEqual(imgs[i]);
      tracker.handleReply(answerFor(seq, payload));
      expect(sent).toHaveLength(Math.min(imgs.length, i + 3));
    }
    await Promise.all(ps);
  });

  it('holds requests while suspended, gives back the attempt a disconnect cost, and resends on resume', async () => {
    const { sent, classify, tracker, timers } = setup({ attempts: 1, disconnectedWaitMs: 500 });
    const px = image(15);
    const p = classify(px);
    tracker.suspend('port closed');
    timers.advance(300); // no reply timeout while suspended
    expect(sent).toHaveLength(1);
    const later = classify(image(16));
    expect(sent).toHaveLength(1);
    const resent: Uint8Array[] = [];
    tracker.resume((f) => resent.push(f));
    expect(resent.map((f) => decodeRequest(f).payload)).toEqual([px, image(16)]);
    tracker.handleReply(answerFor(decodeRequest(resent[0]).seq, px));
    tracker.handleReply(answerFor(decodeRequest(resent[1]).seq, image(16)));
    expect((await p).attempts).toBe(1);
    await later;
  });

  it('rejects requests with DisconnectedError when the link stays down past disconnectedWaitMs, however often it is re-suspended', async () => {
    const { classify, tracker, timers } = setup({ disconnectedWaitMs: 500 });
    const caught = classify(image(17)).catch((e: unknown) => e);
    tracker.suspend('port closed: board reset');
    timers.advance(300);
    tracker.suspend('port closed: board reset'); // a failed reconnection attempt
    timers.advance(250);
    const e = await caught;
    expect(e).toBeInstanceOf(DisconnectedError);
    expect((e as Error).message).toMatch(/board reset; not reconnected within 500 ms/);
  });

  it('while held, only priority requests go out', async () => {
    const { classify, tracker } = setup();
    tracker.suspend('reconnecting');
    const backlog = classify(image(18));
    const sent: Uint8Array[] = [];
    tracker.resume((f) => sent.push(f), { hold: true });
    const info = tracker.protocolInfo((seq) => encodeProtocolInfoQuery(seq), true);
    expect(sent.map((f) => f[1])).toEqual([EdSysex.PROTOCOL_INFO_QUERY]);
    tracker.handleReply({ kind: 'protocol-info', seq: decodeRequest(sent[0]).seq, protocolMajor: 1, protocolMinor: 0, maxSysexBody: 901, imageWidth: 28, imageHeight: 28, classCount: 10 });
    await info;
    tracker.release();
    expect(sent.map((f) => f[1])).toEqual([EdSysex.PROTOCOL_INFO_QUERY, EdSysex.CLASSIFY_REQUEST]);
    tracker.close('done');
    await expect(backlog).rejects.toBeInstanceOf(DisconnectedError);
    await expect(classify(image(19))).rejects.toThrow(/\/dev\/ttyFAKE0: CLASSIFY_REQUEST: done/);
  });

  it('wraps seq after 16383 and skips seqs still pending', async () => {
    // Every answer overtakes the stuck request, which is resent each time: give it attempts enough.
    const { sent, tracker } = setup({ maxInFlight: 2, attempts: 1 << 20 });
    const info = () => tracker.protocolInfo((seq) => encodeProtocolInfoQuery(seq));
    const reply = (seq: number) => tracker.handleReply({ kind: 'protocol-info', seq, protocolMajor: 1, protocolMinor: 0, maxSysexBody: 901, imageWidth: 28, imageHeight: 28, classCount: 10 });
    const stuck = info(); // seq 0 stays pending throughout
    for (let i = 1; i <= Layout.SEQ_MAX; i++) {
      const before = sent.length;
      const p = info();
      expect(decodeRequest(sent[before]).seq).toBe(i);
      reply(i);
      await p;
    }
    const before = sent.length;
    const p = info();
    expect(decodeRequest(sent[before]).seq).toBe(1);
    reply(1);
    await p;
    reply(0);
    await stuck;
  });

  it('over a lossy, duplicating, reordering channel every request settles once, never with another image\'s answer', async () => {
    type Fate = 'reply' | 'drop' | 'error' | 'duplicate' | 'late';
    const fate = fc.constantFrom<Fate>('reply', 'reply', 'reply', 'drop', 'error', 'duplicate', 'late');
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.array(fate, { minLength: 200, maxLength: 200 }),
        async (count, maxInFlight, attempts, fates) => {
          const timers = new FakeTimers();
          const inbox: (() => void)[] = [];
          let f = 0;
          const t = new RequestTracker({ port: PORT, timeoutMs: 50, attempts, maxInFlight, disconnectedWaitMs: 1000, timers });
          t.resume((frame) => {
            const { seq, payload } = decodeRequest(frame);
            const what = fates[f++ % fates.length];
            if (what === 'drop') return;
            if (what === 'error') inbox.push(() => t.handleErrorReply(errorFor(seq, ErrorReason.BAD_CRC)));
            else if (what === 'late') timers.setTimeout(() => t.handleReply(answerFor(seq, payload)), 120);
            else {
              inbox.push(() => t.handleReply(answerFor(seq, payload)));
              if (what === 'duplicate') inbox.push(() => t.handleReply(answerFor(seq, payload)));
            }
          });
          const imgs = Array.from({ length: count }, (_, i) => image(i + 100));
          const outcomes: (string | Int8Array)[] = new Array(count).fill('pending');
          let settledTwice = false;
          const ps = imgs.map((px, i) => t.classify((seq) => encodeClassifyRequest(seq, px)).then(
            (a) => { settledTwice ||= outcomes[i] !== 'pending'; outcomes[i] = a.reply.logits; },
            (e: Error) => { settledTwice ||= outcomes[i] !== 'pending'; outcomes[i] = e.name; },
          ));
          for (let step = 0; step < 400 && t.size > 0; step++) {
            // Deliver in a shuffled order, then let time pass.
            while (inbox.length) inbox.splice((step * 7 + inbox.length) % inbox.length, 1)[0]();
            await settle();
            timers.advance(10);
          }
          await Promise.all(ps);
          expect(settledTwice).toBe(false);
          expect(t.size).toBe(0);
          outcomes.forEach((o, i) => {
            if (typeof o === 'string') expect(['TimeoutError', 'BoardProtocolError']).toContain(o);
            else expect(o).toEqual(answerFor(0, imgs[i]).logits);
          });
        },
      ),
      { numRuns: 150, seed: 5 },
    );
  });
});
