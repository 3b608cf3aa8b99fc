/**
 * The board link under a hostile line, through the project's fault relay (test/fault-relay.ts): socat gives the
 * host its own pty, a Node relay pipes it to the virtual board's pty and back, mangling bytes on the way.
 * - 5× the relay's original fault rates in both directions, handshake included, and two board restarts that also
 *   take the host's port away (a USB board re-enumerates when it resets): no wrong answer accepted, every request
 *   settled, ≥ 97 % answered, a reconnection after every restart.
 * - The ID byte of a classify reply lost, for all 128 residues of the seq's low byte: firmata-io alone would run its
 *   analog-mapping / pin-state handlers on those and throw in the port's 'data' event; here the process lives,
 *   the read side keeps answering and the pin table is untouched.
 * - One lost byte anywhere in the handshake, either direction: the connection still comes up with the right table
 *   (every offset of both directions here, one connection each; in-process as well in frame-gate.test.ts).
 */
import { describe, afterAll, beforeAll, expect, it } from 'vitest';
import {
  BoardProtocolError, DigitBoard, DisconnectedError, TimeoutError, startVirtualBoard, type ClassifyOutcome, type VirtualBoard,
} from '../src/device/index.js';
import { ARTIFACT, canRun, imageAt, logitsAt, reference, tempDir } from './board-support.js';
import { BASE_DOWN, BASE_UP, FaultRelay, scaled } from './fault-relay.js';

const runnable = canRun('board-faults', ['gcc', 'socat']);

function* imagesOf(images: Uint8Array, count: number): Generator<Uint8Array> {
  for (let i = 0; i < count; i++) yield imageAt(images, i);
}

const pinSnapshot = (board: DigitBoard): string => JSON.stringify([
  board.io.pins.map((p) => [p.supportedModes, p.analogChannel]), board.io.analogPins, board.info.firmwareName,
]);

describe.runIf(runnable)('board link through a fault-injecting relay', () => {
  let vb: VirtualBoard;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('ed-board-faults-');
    vb = await startVirtualBoard({ artifact: ARTIFACT, link: `${dir}/board` });
  }, 60_000);
  afterAll(async () => {
    await vb?.close();
  });

  it('5× fault rates with two board restarts that drop the host port: 0 wrong, all settled, ≥ 97 % answered, a reconnection per restart', async () => {
    const relay = new FaultRelay(`${dir}/host5x`, vb.path, { seed: 20240611, up: scaled(BASE_UP, 5), down: scaled(BASE_DOWN, 5) });
    await relay.start();
    let board: DigitBoard | null = null;
    try {
      const t0 = performance.now();
      // The first connection on a clean line (the handshake under faults has its own tests below); every
      // reconnection after a restart runs its whole handshake on the faulty line.
      board = await DigitBoard.connect(relay.hostLink, {
        requestTimeoutMs: 150, queryTimeoutMs: 40, attempts: 12, maxInFlight: 4, handshakeTimeoutMs: 30_000,
        disconnectedWaitMs: 30_000, reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      });
      const connectMs = performance.now() - t0;
      relay.enabled = true;
      const snapshot = pinSnapshot(board);
      const count = 400;
      const restarts = [130, 270];
      const ref = reference(count);
      const outcomes: ClassifyOutcome[] = [];
      const pendingRestarts: Promise<unknown>[] = [];
      for await (const o of board.classifyMany(imagesOf(ref.images, count), { window: 4 })) {
        outcomes.push(o);
        if (restarts.includes(o.index)) pendingRestarts.push(Promise.all([vb.restart({ downMs: 100 }), relay.replug(150)]));
      }
      await Promise.all(pendingRestarts);

      expect(outcomes.map((o) => o.index)).toEqual(Array.from({ length: count }, (_, i) => i));
      const wrong = outcomes.filter((o) => o.ok && logitsAt(ref.logits, o.index).join() !== Array.from(o.logits).join());
      expect(wrong.map((o) => o.index)).toEqual([]);
      const failed = outcomes.filter((o): o is Extract<ClassifyOutcome, { ok: false }> => !o.ok);
      for (const f of failed) {
        expect(f.error instanceof TimeoutError || f.error instanceof BoardProtocolError || f.error instanceof DisconnectedError, f.error.message).toBe(true);
      }
      const answered = count - failed.length;
      expect(answered / count).toBeGreaterThanOrEqual(0.97);
      expect(board.pendingRequests).toBe(0);
      const status = board.status;
      expect(status.reconnects).toBe(restarts.length);
      expect(status.connected).toBe(true);
      expect(pinSnapshot(board)).toBe(snapshot);
      for (const d of [relay.up.stats, relay.down.stats]) {
        expect(d.flipped).toBeGreaterThan(0);
        expect(d.dropped).toBeGreaterThan(0);
        expect(d.truncated).toBeGreaterThan(0);
      }
      console.log(`board-faults 5x: connect ${connectMs.toFixed(0)} ms, ${answered}/${count} answered (all correct), ${failed.length} failed ` +
        `(${failed.map((f) => f.error.name).join(', ')}); status ${JSON.stringify(status)}; up ${JSON.stringify(relay.up.stats)}, down ${JSON.stringify(relay.down.stats)}`);
    } finally {
      await board?.close();
      await relay.stop();
    }
  }, 180_000);

  it('a classify reply that loses its ID byte, for all 128 seq residues: no crash, the read side keeps answering, the pin table is untouched', async () => {
    const relay = new FaultRelay(`${dir}/hostid`, vb.path, { seed: 7 });
    await relay.start();
    let board: DigitBoard | null = null;
    try {
      board = await DigitBoard.connect(relay.hostLink, { requestTimeoutMs: 300, attempts: 10, reconnect: false });
      const snapshot = pinSnapshot(board);
      const residues = new Set<number>();
      relay.down.dropId = (id, seqLow) => {
        if (id !== 0x02 || residues.has(seqLow)) return false;
        residues.add(seqLow);
        return true;
      };
      const count = 300;
      const ref = reference(count);
      const outcomes: ClassifyOutcome[] = [];
      for await (const o of board.classifyMany(imagesOf(ref.images, count), { window: 4 })) outcomes.push(o);
      expect(residues.size).toBe(128);
      expect(relay.down.stats.idsDropped).toBe(128);
      expect(outcomes.filter((o) => !o.ok).map((o) => o.index)).toEqual([]);
      for (const o of outcomes) if (o.ok) expect(Array.from(o.logits)).toEqual(logitsAt(ref.logits, o.index));
      expect(pinSnapshot(board)).toBe(snapshot);
      expect(board.status).toMatchObject({ connected: true, reconnects: 0 });
      // The read side is alive: a fresh request after all of that is answered.
      expect((await board.protocolInfo()).protocolMajor).toBe(1);
      console.log(`board-faults id-lost: 128 residues hit, ${count}/${count} answered; status ${JSON.stringify(board.status)}`);
    } finally {
      await board?.close();
      await relay.stop();
    }
  }, 120_000);

  it('one lost byte anywhere in the handshake, either direction: the connection comes up with the right table', async () => {
    const relay = new FaultRelay(`${dir}/hosths`, vb.path, { seed: 9 });
    await relay.start();
    const options = { requestTimeoutMs: 100, queryTimeoutMs: 20, reportVersionTimeoutMs: 5, reconnect: false as const, handshakeTimeoutMs: 5000 };
    try {
      const down0 = relay.down.stats.bytes;
      const up0 = relay.up.stats.bytes;
      const clean = await DigitBoard.connect(relay.hostLink, options);
      const snapshot = pinSnapshot(clean);
      await clean.close();
      await relay.afterHostClose();
      const downBytes = relay.down.stats.bytes - down0;
      const upBytes = relay.up.stats.bytes - up0;
      expect(downBytes).toBeGreaterThan(200);
      const failures: string[] = [];
      let rerun = 0;
      let runs = 0;
      const t0 = performance.now();
      for (const [direction, total] of [['down', downBytes], ['up', upBytes]] as const) {
        // Every offset, both directions (one connection each, ~0.1-0.25 s). ED_HANDSHAKE_STRIDE=k tests every k-th.
        const stride = Number(process.env.ED_HANDSHAKE_STRIDE ?? 1);
        for (let k = 0; k < total; k += stride) {
          // A run during which socat itself went away proves nothing about the link: it is run again, and counted
          // (each run starts on a fresh socat, afterHostClose, so no earlier close's exit can land in it).
          for (let attempt = 0; attempt < 3; attempt++) {
            const exits = relay.socatExits.length;
            (direction === 'down' ? relay.down : relay.up).dropByteAt(k);
            let failure: string | null = null;
            try {
              const b = await DigitBoard.connect(relay.hostLink, options);
              if (pinSnapshot(b) !== snapshot) failure = `${direction} ${k}: wrong table`;
              await b.close();
            } catch (e) {
              failure = `${direction} ${k}: ${(e as Error).message}`;
            }
            const socatDiedDuringRun = relay.socatExits.length > exits;
            await relay.afterHostClose();
            if (failure && socatDiedDuringRun) {
              rerun++;
              continue;
            }
            if (failure) failures.push(failure);
            runs++;
            break;
          }
        }
      }
      expect(failures).toEqual([]);
      console.log(`board-faults handshake: of ${downBytes} board→host and ${upBytes} host→board offsets, ${runs} each lost once, all survived (${((performance.now() - t0) / 1000).toFixed(1)} s; ${rerun} runs repeated because socat exited mid-run)`);
    } finally {
      await relay.stop();
    }
  }, 600_000);
});
