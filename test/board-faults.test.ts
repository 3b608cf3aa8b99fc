/**
 * The board link under a hostile line. socat gives the host its own pty; a Node relay pipes its bytes to the
 * virtual board's pty and back, flipping bits, dropping bytes and cutting frames short in both directions, and
 * restarts the board mid-stream. No wrong prediction may ever be accepted (every accepted reply equals the
 * simulator's logits), every request must settle, and the stream must recover after the restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BoardProtocolError, DigitBoard, TimeoutError, startVirtualBoard, type ClassifyOutcome, type VirtualBoard,
} from '../src/device/index.js';
import { createRng } from '../src/data/index.js';
import { ARTIFACT, canRun, imageAt, logitsAt, reference, tempDir, waitUntil } from './board-support.js';

const runnable = canRun('board-faults', ['gcc', 'socat']);

interface FaultRates {
  /** Per byte: flip one random bit. */
  readonly flip: number;
  /** Per byte: lose it. */
  readonly drop: number;
  /** Per byte inside a sysex: lose the rest of the frame, its F7 included. */
  readonly truncate: number;
}

interface DirectionStats {
  bytes: number;
  flipped: number;
  dropped: number;
  truncated: number;
}

/** Mangles one direction of the stream; stateful, because a truncation lasts until the frame's F7. */
class LineFaults {
  readonly stats: DirectionStats = { bytes: 0, flipped: 0, dropped: 0, truncated: 0 };
  enabled = false;
  private inSysex = false;
  private cutting = false;

  constructor(private readonly rates: FaultRates, private readonly random: () => number) {}

  apply(chunk: Buffer): Buffer {
    const out: number[] = [];
    for (const byte of chunk) {
      this.stats.bytes++;
      if (byte === 0xf0) this.inSysex = true;
      if (this.cutting) {
        if (byte === 0xf7) this.cutting = false;
        if (byte === 0xf0) this.cutting = false;
        else continue;
      }
      if (byte === 0xf7) this.inSysex = false;
      if (!this.enabled) {
        out.push(byte);
        continue;
      }
      const r = this.random();
      if (this.inSysex && byte !== 0xf0 && r < this.rates.truncate) {
        this.stats.truncated++;
        this.cutting = byte !== 0xf7;
        continue;
      }
      if (r < this.rates.truncate + this.rates.drop) {
        this.stats.dropped++;
        continue;
      }
      if (r < this.rates.truncate + this.rates.drop + this.rates.flip) {
        this.stats.flipped++;
        out.push(byte ^ (1 << Math.floor(this.random() * 8)));
        continue;
      }
      out.push(byte);
    }
    return Buffer.from(out);
  }
}

/** host ⇄ socat pty ⇄ (this relay, with faults) ⇄ virtual board pty; reopens the board side when it restarts. */
class FaultRelay {
  readonly up: LineFaults;
  readonly down: LineFaults;
  boardReopens = 0;
  readonly closeReasons: string[] = [];
  private socat: ChildProcess | null = null;
  private board: SerialPort | null = null;
  private stopped = false;

  constructor(readonly hostLink: string, private readonly boardLink: string, seed: number, upRates: FaultRates, downRates: FaultRates) {
    const random = createRng(seed); // seeded, so a failing run can be replayed
    this.up = new LineFaults(upRates, random);
    this.down = new LineFaults(downRates, random);
  }

  async start(): Promise<void> {
    const socat = spawn('socat', [`PTY,link=${this.hostLink},raw,echo=0,wait-slave`, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.socat = socat;
    let stderr = '';
    socat.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
    socat.stdin?.on('error', () => undefined);
    socat.stdout?.on('data', (c: Buffer) => {
      const mangled = this.up.apply(c);
      // A write racing the board's restart fails with EIO; the bytes are lost like any others on this line.
      if (this.board?.isOpen && mangled.length) this.board.write(mangled, () => undefined);
    });
    await waitUntil(`socat's pty link ${this.hostLink} (socat said: ${stderr})`, () => existsSync(this.hostLink), 5000);
    await this.openBoard();
  }

  private async openBoard(): Promise<void> {
    while (!this.stopped) {
      const port = await new Promise<SerialPort | null>((resolve) => {
        const p = new SerialPort({ path: this.boardLink, baudRate: 115200 }, (e) => resolve(e ? null : p));
      });
      if (port) {
        this.board = port;
        port.on('error', () => undefined);
        port.on('data', (c: Buffer) => {
          const mangled = this.down.apply(c);
          if (mangled.length) this.socat?.stdin?.write(mangled);
        });
        port.on('close', (e: Error | null) => {
          this.closeReasons.push(`${performance.now().toFixed(0)} ${e?.message ?? 'closed'}`);
          this.board = null;
          if (this.stopped) return;
          this.boardReopens++;
          void this.openBoard();
        });
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.board?.isOpen) await new Promise<void>((r) => this.board?.close(() => r()));
    this.socat?.kill('SIGTERM');
  }
}

describe.runIf(runnable)('board link through a fault-injecting relay', () => {
  let vb: VirtualBoard;
  let relay: FaultRelay;
  let board: DigitBoard;

  beforeAll(async () => {
    const dir = tempDir('ed-board-faults-');
    vb = await startVirtualBoard({ artifact: ARTIFACT, link: `${dir}/board` });
    relay = new FaultRelay(
      `${dir}/host`, vb.path, 20240611,
      { flip: 4e-5, drop: 4e-5, truncate: 3e-5 }, // ~10 % of 904-byte requests hit
      { flip: 2e-3, drop: 1.5e-3, truncate: 1e-3 }, // ~12 % of 27-byte replies hit
    );
    await relay.start();
    // The Firmata handshake has no retries of its own (firmata-io waits forever for a lost reply): connect on a
    // clean line, then turn the faults on.
    board = await DigitBoard.connect(relay.hostLink, { requestTimeoutMs: 300, attempts: 10, maxInFlight: 4 });
    relay.up.enabled = true;
    relay.down.enabled = true;
  }, 60_000);

  afterAll(async () => {
    await board?.close();
    await relay?.stop();
    await vb?.close();
  });

  it('never accepts a wrong prediction, settles every request and recovers after a board restart', async () => {
    const count = 400;
    const restartAt = 150;
    const ref = reference(count);
    const outcomes: ClassifyOutcome[] = [];
    let restart: Promise<string> | null = null;
    const images = (function* () {
      for (let i = 0; i < count; i++) yield imageAt(ref.images, i);
    })();
    for await (const o of board.classifyMany(images, { window: 4 })) {
      outcomes.push(o);
      if (o.index === restartAt) restart = vb.restart({ downMs: 100 });
    }
    await restart;

    expect(outcomes.map((o) => o.index)).toEqual(Array.from({ length: count }, (_, i) => i));
    const wrong = outcomes.filter((o) => o.ok && logitsAt(ref.logits, o.index).join() !== Array.from(o.logits).join());
    expect(wrong.map((o) => o.index)).toEqual([]);
    const failed = outcomes.filter((o): o is Extract<ClassifyOutcome, { ok: false }> => !o.ok);
    for (const f of failed) expect(f.error instanceof TimeoutError || f.error instanceof BoardProtocolError, f.error.message).toBe(true);
    expect(failed.length).toBeLessThanOrEqual(count * 0.02);
    // After the restart the stream is whole again.
    expect(outcomes.slice(-100).filter((o) => !o.ok).map((o) => o.index)).toEqual([]);

    // The faults really happened, in both directions, and the link really recovered from them.
    // The relay may briefly reopen the old board's pty while it is going down; what matters is that it came back.
    expect(relay.boardReopens, relay.closeReasons.join('; ')).toBeGreaterThanOrEqual(1);
    for (const d of [relay.up.stats, relay.down.stats]) {
      expect(d.flipped).toBeGreaterThan(0);
      expect(d.dropped).toBeGreaterThan(0);
      expect(d.truncated).toBeGreaterThan(0);
    }
    expect(board.stats.retries).toBeGreaterThan(0);
    expect(board.stats.errorReplies).toBeGreaterThan(0);
    expect(board.stats.corruptFrames + board.stats.timeouts).toBeGreaterThan(0);
    console.log(`board-faults: ${count} images, ${count - failed.length} accepted (all correct), ${failed.length} failed; ` +
      `up ${JSON.stringify(relay.up.stats)}, down ${JSON.stringify(relay.down.stats)}, host ${JSON.stringify(board.stats)}`);
  }, 60_000);
});
