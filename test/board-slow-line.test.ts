/**
 * A slow line with no faults: 9,600 baud, paced by the fault relay in both directions (a pty itself is never
 * slower than memory). Each classify request takes ~0.94 s on the wire, so with 4 in flight the fourth waits
 * ~3 s for its turn: timeouts derived from the baud rate and the frame size must not give up on requests that
 * are merely queued. ≥ 99 % of 150 requests must be answered (each equal to the simulator): ~2.5 minutes.
 * 150, not the 500 it once was: vitest runs one file at a time on 2 cores, and 500 requests made this file ~470 s of
 * a ~1,240 s CI=true suite, almost all of it waiting on the paced wire, which put .ci/run at 29 of its 30 minutes.
 * The queueing it guards against shows from the fifth request on; ED_SLOW_LINE_COUNT=500 runs the long version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigitBoard, startVirtualBoard, type ClassifyOutcome, type VirtualBoard } from '../src/device/index.js';
import { ARTIFACT, canRun, imageAt, logitsAt, reference, tempDir } from './board-support.js';
import { FaultRelay } from './fault-relay.js';

const runnable = canRun('board-slow-line', ['gcc', 'socat']);
const BAUD = 9600;
const COUNT = Number(process.env.ED_SLOW_LINE_COUNT ?? 150);

describe.runIf(runnable)(`board link at ${BAUD} baud, no faults`, () => {
  let vb: VirtualBoard;
  let relay: FaultRelay;
  let board: DigitBoard;

  beforeAll(async () => {
    const dir = tempDir('ed-board-slow-');
    vb = await startVirtualBoard({ artifact: ARTIFACT, link: `${dir}/board` });
    relay = new FaultRelay(`${dir}/host`, vb.path, { seed: 3, baud: BAUD });
    await relay.start();
    // Defaults only, but the line's real rate: that is what the timeouts are derived from.
    board = await DigitBoard.connect(relay.hostLink, { baudRate: BAUD, reconnect: false });
  }, 60_000);

  afterAll(async () => {
    await board?.close();
    await relay?.stop();
    await vb?.close();
  });

  it(`answers ≥ 99 % of ${COUNT} classify requests, each equal to the simulator`, async () => {
    const ref = reference(COUNT);
    const outcomes: ClassifyOutcome[] = [];
    const t0 = performance.now();
    const images = (function* () {
      for (let i = 0; i < COUNT; i++) yield imageAt(ref.images, i);
    })();
    for await (const o of board.classifyMany(images, { window: 4 })) outcomes.push(o);
    const seconds = (performance.now() - t0) / 1000;
    const answered = outcomes.filter((o) => o.ok);
    for (const o of answered) if (o.ok) expect(Array.from(o.logits)).toEqual(logitsAt(ref.logits, o.index));
    console.log(`board-slow-line: ${answered.length}/${COUNT} answered at ${BAUD} baud in ${seconds.toFixed(0)} s ` +
      `(${(COUNT / seconds).toFixed(2)}/s; the line's limit is ${(BAUD / 10 / 904).toFixed(2)}/s); status ${JSON.stringify(board.status)}`);
    expect(answered.length / COUNT).toBeGreaterThanOrEqual(0.99);
  }, 1_200_000);
});
