/**
 * Reconnection: the virtual board process is killed mid-stream and restarted on the same --link path. The client
 * notices the closed port, reconnects with backoff (a new johnny-five Board, protocol re-checked), and later
 * requests succeed; requests in flight at the kill either succeed after the reconnection or reject with
 * DisconnectedError — none hangs, none comes back wrong.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DigitBoard, DisconnectedError, startVirtualBoard, type ClassifyOutcome, type J5Board, type VirtualBoard } from '../src/device/index.js';
import { ARTIFACT, Led, canRun, imageAt, logitsAt, reference, tempDir, waitUntil } from './board-support.js';

const runnable = canRun('board-reconnect', ['gcc']);

const FAST_RECONNECT = { initialDelayMs: 30, maxDelayMs: 200, giveUpAfterMs: 10_000 } as const;

describe.runIf(runnable)('board link reconnection', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanup.length) await (cleanup.pop() as () => Promise<void>)();
  });

  async function setup(o: { disconnectedWaitMs?: number } = {}): Promise<{ vb: VirtualBoard; board: DigitBoard; events: string[] }> {
    const vb = await startVirtualBoard({ artifact: ARTIFACT, link: `${tempDir('ed-board-reconnect-')}/board` });
    cleanup.push(() => vb.close());
    const board = await DigitBoard.connect(vb.path, { requestTimeoutMs: 300, reconnect: FAST_RECONNECT, disconnectedWaitMs: o.disconnectedWaitMs ?? 5000 });
    cleanup.push(() => board.close());
    const events: string[] = [];
    board.on('disconnect', () => events.push('disconnect'));
    board.on('reconnect', () => events.push('reconnect'));
    board.on('close', () => events.push('close'));
    return { vb, board, events };
  }

  it('survives a SIGKILL mid-stream: in-flight requests succeed after the reconnection or reject with DisconnectedError', async () => {
    const { vb, board, events } = await setup();
    const firstJ5 = board.board;
    const count = 200;
    const ref = reference(count);
    const outcomes: ClassifyOutcome[] = [];
    let restart: Promise<string> | null = null;
    const images = (function* () {
      for (let i = 0; i < count; i++) yield imageAt(ref.images, i);
    })();
    for await (const o of board.classifyMany(images, { window: 4 })) {
      outcomes.push(o);
      if (o.index === 60) restart = vb.restart({ signal: 'SIGKILL', downMs: 250 });
    }
    await restart;

    expect(outcomes).toHaveLength(count);
    for (const o of outcomes) {
      if (o.ok) expect(Array.from(o.logits), `image ${o.index}`).toEqual(logitsAt(ref.logits, o.index));
      else expect(o.error, o.error.message).toBeInstanceOf(DisconnectedError);
    }
    expect(outcomes.slice(-50).every((o) => o.ok)).toBe(true);
    console.log(`board-reconnect: ${outcomes.filter((o) => o.ok).length}/${count} accepted (all correct), ${outcomes.filter((o) => !o.ok).length} DisconnectedError; host ${JSON.stringify(board.stats)}`);
    expect(events).toEqual(['disconnect', 'reconnect']);
    expect(board.stats.connects).toBe(2);
    expect(board.connected).toBe(true);

    // The new connection is a whole johnny-five board again.
    const j5: J5Board = board.board;
    expect(j5).not.toBe(firstJ5);
    expect(j5.isReady).toBe(true);
    new Led({ pin: 13, board: j5 }).on();
    await waitUntil('pin 13 high after the reconnection', () => vb.pinEvents().filter((e) => e.pin === 13 && e.event === 'write' && e.value === 1).length === 1, 3000);
  }, 60_000);

  it('rejects requests with DisconnectedError while the board stays away too long, then serves again once it is back', async () => {
    const { vb, board, events } = await setup({ disconnectedWaitMs: 300 });
    const ref = reference(2);
    const restart = vb.restart({ signal: 'SIGKILL', downMs: 1200 });
    await waitUntil('the client to notice the closed port', () => events.includes('disconnect'), 3000);
    const t0 = performance.now();
    await expect(board.classify(imageAt(ref.images, 0))).rejects.toBeInstanceOf(DisconnectedError);
    expect(performance.now() - t0).toBeLessThan(1000);
    await restart;
    await waitUntil('the reconnection', () => board.connected, 5000);
    expect(Array.from((await board.classify(imageAt(ref.images, 1))).logits)).toEqual(logitsAt(ref.logits, 1));
  }, 30_000);

  it('notices the port hang up with no request pending while reports stream in (serialport alone misses it) and reconnects', async () => {
    const { vb, board } = await setup();
    const ref = reference(1);
    for (let round = 0; round < 6; round++) {
      // No request will hit the dead port, but reads are under way: the board streams analog reports (19 ms).
      (board.io as unknown as { reportAnalogPin(channel: number, on: 0 | 1): void }).reportAnalogPin(0, 1);
      await new Promise((r) => setTimeout(r, 20 + round * 17));
      const noticed = new Promise<void>((r) => board.once('disconnect', () => r()));
      const back = new Promise<void>((r) => board.once('reconnect', () => r()));
      await vb.restart({ signal: 'SIGKILL', downMs: 0 });
      const t0 = performance.now();
      await Promise.race([noticed, new Promise((_, reject) => setTimeout(() => reject(new Error(`round ${round}: hang-up not noticed within 1.5 s`)), 1500))]);
      expect(performance.now() - t0).toBeLessThan(1500);
      await back;
    }
    expect(board.stats.connects).toBe(7);
    expect(Array.from((await board.classify(imageAt(ref.images, 0))).logits)).toEqual(logitsAt(ref.logits, 0));
  }, 30_000);

  it('with reconnect off, a closed port rejects what is in flight and everything after with DisconnectedError', async () => {
    const vb = await startVirtualBoard({ artifact: ARTIFACT, link: `${tempDir('ed-board-noreconnect-')}/board` });
    cleanup.push(() => vb.close());
    const board = await DigitBoard.connect(vb.path, { reconnect: false, requestTimeoutMs: 5000 });
    cleanup.push(() => board.close());
    const closed = new Promise<string>((r) => board.on('close', r));
    const ref = reference(8);
    const inFlight = Array.from({ length: 8 }, (_, i) => board.classify(imageAt(ref.images, i)).then(() => 'ok', (e: unknown) => e));
    await vb.restart({ signal: 'SIGKILL', downMs: 0 });
    expect(await closed).toMatch(/reconnection is off/);
    for (const r of await Promise.all(inFlight)) if (r !== 'ok') expect(r).toBeInstanceOf(DisconnectedError);
    await expect(board.classify(imageAt(ref.images, 0))).rejects.toBeInstanceOf(DisconnectedError);
  }, 30_000);
});
