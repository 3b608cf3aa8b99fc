/**
 * The project's fault relay (test code): socat gives the host its own pty; this relay pipes its bytes to a board's
 * pty and back, and on the way can flip bits, drop bytes, cut frames short, drop the sysex ID byte of replies,
 * drop exactly the k-th byte of a direction, throttle both directions to a baud rate (a pty itself is never
 * slower than memory), and "replug" — take the host's pty away and bring it back on the same path, as a USB
 * board that resets re-enumerates. Used by test/board-faults.test.ts and bench/board-link.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { createRng } from '../src/data/index.js';
import { waitUntil } from './board-support.js';

export interface FaultRates {
  /** Per byte: flip one random bit. */
  readonly flip: number;
  /** Per byte: lose it. */
  readonly drop: number;
  /** Per byte inside a sysex: lose the rest of the frame, its F7 included. */
  readonly truncate: number;
}

export const NO_FAULTS: FaultRates = { flip: 0, drop: 0, truncate: 0 };
/** The rates the fault test has used since the link was written: ~10 % of requests and ~12 % of replies hit. */
export const BASE_UP: FaultRates = { flip: 4e-5, drop: 4e-5, truncate: 3e-5 };
export const BASE_DOWN: FaultRates = { flip: 2e-3, drop: 1.5e-3, truncate: 1e-3 };
export const scaled = (r: FaultRates, k: number): FaultRates => ({ flip: r.flip * k, drop: r.drop * k, truncate: r.truncate * k });

export interface DirectionStats {
  bytes: number;
  flipped: number;
  dropped: number;
  truncated: number;
  idsDropped: number;
}

/** Mangles one direction of the stream; stateful, because a truncation lasts until the frame's F7. */
export class LineFaults {
  readonly stats: DirectionStats = { bytes: 0, flipped: 0, dropped: 0, truncated: 0, idsDropped: 0 };
  enabled = false;
  rates: FaultRates;
  /** Drop the ID byte of a sysex whose ID and first body byte (seq bits 0-6) this returns true for. */
  dropId: ((id: number, seqLow: number) => boolean) | null = null;
  /** Counts bytes from arm(); the byte with this index is dropped (once). */
  private dropIndex = -1;
  private sinceArm = 0;
  private inSysex = false;
  private cutting = false;
  /** F0 and the ID held back until the next byte tells whether to drop the ID. */
  private held: number[] = [];

  constructor(rates: FaultRates, private readonly random: () => number) {
    this.rates = rates;
  }

  /** Drop the k-th byte (0-based) from now on, once. */
  dropByteAt(k: number): void {
    this.dropIndex = k;
    this.sinceArm = 0;
  }

  apply(chunk: Uint8Array): Buffer {
    const out: number[] = [];
    for (const byte of chunk) {
      if (this.dropIndex >= 0 && this.sinceArm++ === this.dropIndex) {
        this.dropIndex = -1;
        this.stats.dropped++;
        continue;
      }
      for (const b of this.holdForId(byte)) this.mangle(b, out);
    }
    return Buffer.from(out);
  }

  private holdForId(byte: number): number[] {
    if (!this.dropId) return [byte];
    if (this.held.length === 0) {
      if (byte === 0xf0) {
        this.held.push(byte);
        return [];
      }
      return [byte];
    }
    if (this.held.length === 1 && byte < 0x80) {
      this.held.push(byte);
      return [];
    }
    const held = this.held;
    this.held = [];
    if (held.length === 2 && byte < 0x80 && this.dropId(held[1], byte)) {
      this.stats.idsDropped++;
      return [held[0], byte];
    }
    return [...held, byte];
  }

  private mangle(byte: number, out: number[]): void {
    this.stats.bytes++;
    if (byte === 0xf0) this.inSysex = true;
    if (this.cutting) {
      if (byte === 0xf7) this.cutting = false;
      if (byte === 0xf0) this.cutting = false;
      else return;
    }
    if (byte === 0xf7) this.inSysex = false;
    if (!this.enabled) {
      out.push(byte);
      return;
    }
    const { truncate, drop, flip } = this.rates;
    const r = this.random();
    if (this.inSysex && byte !== 0xf0 && r < truncate) {
      this.stats.truncated++;
      this.cutting = byte !== 0xf7;
      return;
    }
    if (r < truncate + drop) {
      this.stats.dropped++;
      return;
    }
    if (r < truncate + drop + flip) {
      this.stats.flipped++;
      out.push(byte ^ (1 << Math.floor(this.random() * 8)));
      return;
    }
    out.push(byte);
  }
}

/** Releases bytes no faster than a baud rate (10 bits per byte). */
class Pacer {
  private queue: Buffer[] = [];
  private queued = 0;
  private budget = 0;
  private last = performance.now();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly bytesPerMs: number, private readonly sink: (b: Buffer) => void) {}

  push(b: Buffer): void {
    if (!b.length) return;
    this.queue.push(b);
    this.queued += b.length;
    if (!this.timer) {
      this.last = performance.now();
      this.budget = 0;
      this.timer = setInterval(() => this.tick(), 4);
    }
  }

  private tick(): void {
    const now = performance.now();
    this.budget += (now - this.last) * this.bytesPerMs;
    this.last = now;
    let n = Math.floor(this.budget);
    const parts: Buffer[] = [];
    while (n > 0 && this.queue.length) {
      const head = this.queue[0];
      if (head.length <= n) {
        parts.push(head);
        this.queue.shift();
        n -= head.length;
        this.budget -= head.length;
        this.queued -= head.length;
      } else {
        parts.push(head.subarray(0, n));
        this.queue[0] = head.subarray(n);
        this.budget -= n;
        this.queued -= n;
        n = 0;
      }
    }
    if (parts.length) this.sink(Buffer.concat(parts));
    if (!this.queue.length && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.queue = [];
  }
}

export interface FaultRelayOptions {
  readonly seed: number;
  readonly up?: FaultRates;
  readonly down?: FaultRates;
  /** Throttle both directions to this rate (8N1). Default: as fast as the ptys go. */
  readonly baud?: number;
}

/** host ⇄ socat pty ⇄ (this relay, with faults) ⇄ board pty; reopens the board side when it restarts. */
export class FaultRelay {
  readonly up: LineFaults;
  readonly down: LineFaults;
  boardReopens = 0;
  replugs = 0;
  readonly closeReasons: string[] = [];
  readonly socatExits: string[] = [];
  private socat: ChildProcess | null = null;
  private board: SerialPort | null = null;
  private stopped = false;
  private readonly upPacer: Pacer | null;
  private readonly downPacer: Pacer | null;

  constructor(readonly hostLink: string, private readonly boardLink: string, o: FaultRelayOptions) {
    const random = createRng(o.seed); // seeded, so a failing run can be replayed
    this.up = new LineFaults(o.up ?? NO_FAULTS, random);
    this.down = new LineFaults(o.down ?? NO_FAULTS, random);
    const perMs = o.baud ? o.baud / 10_000 : 0;
    this.upPacer = perMs ? new Pacer(perMs, (b) => this.toBoard(b)) : null;
    this.downPacer = perMs ? new Pacer(perMs, (b) => this.toHost(b)) : null;
  }

  /** Faults on in both directions. */
  set enabled(on: boolean) {
    this.up.enabled = on;
    this.down.enabled = on;
  }

  async start(): Promise<void> {
    await this.startSocat();
    await this.openBoard();
  }

  /**
   * socat ends by itself (status 0) some time after the host closes its pty once data has flowed, and the relay then
   * starts a new one on the same path. How long "some time" is depends on the machine's load: a fixed wait for it
   * (3 s here before) was passed on a slow machine, so that exit, and the pty link's removal, landed in the next
   * connection ("cannot open …: No such file", EIO). A test that closes and reopens the port calls this instead: the
   * old socat is ended here and a fresh one is up on the same path before it returns, so no exit is left pending.
   */
  async afterHostClose(): Promise<void> {
    await this.endSocat();
    if (!this.stopped) await this.startSocat();
  }

  /** The host's pty goes away for `downMs` and comes back on the same path (a USB board re-enumerating). */
  async replug(downMs: number): Promise<void> {
    this.replugs++;
    await this.endSocat();
    await new Promise((r) => setTimeout(r, downMs));
    if (!this.stopped) await this.startSocat();
  }

  /** Ends the current socat, if any, and waits for its exit; detached first, so its exit starts no new one. */
  private async endSocat(): Promise<void> {
    const old = this.socat;
    this.socat = null;
    if (!old || old.exitCode !== null || old.signalCode !== null) return;
    const exited = new Promise((r) => old.once('exit', r));
    old.kill('SIGTERM');
    await exited;
  }

  private toBoard(b: Buffer): void {
    // A write racing the board's restart fails with EIO; the bytes are lost like any others on this line.
    if (this.board?.isOpen && b.length) this.board.write(b, () => undefined);
  }

  private toHost(b: Buffer): void {
    if (b.length) this.socat?.stdin?.write(b);
  }

  private async startSocat(): Promise<void> {
    const socat = spawn('socat', ['-t', '0.02', `PTY,link=${this.hostLink},raw,echo=0,wait-slave,pty-interval=0.005`, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.socat = socat;
    let stderr = '';
    socat.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
    socat.on('exit', (code, signal) => {
      this.socatExits.push(`socat exited (${code ?? signal}): ${stderr.trim()}`);
      // Unasked (not replug/stop): bring the host's pty back on the same path, as the port would still be there.
      if (this.socat === socat && !this.stopped) {
        this.socat = null;
        void this.startSocat();
      }
    });
    socat.stdin?.on('error', () => undefined);
    socat.stdout?.on('data', (c: Buffer) => {
      if (this.socat !== socat) return;
      const mangled = this.up.apply(c);
      if (this.upPacer) this.upPacer.push(mangled);
      else this.toBoard(mangled);
    });
    await waitUntil(`socat's pty link ${this.hostLink} (socat said: ${stderr})`, () => existsSync(this.hostLink), 5000);
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
          if (this.downPacer) this.downPacer.push(mangled);
          else this.toHost(mangled);
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
    this.upPacer?.stop();
    this.downPacer?.stop();
    if (this.board?.isOpen) await new Promise<void>((r) => this.board?.close(() => r()));
    const s = this.socat;
    if (s && s.exitCode === null) {
      const exited = new Promise((r) => s.once('exit', r));
      s.kill('SIGTERM');
      await exited;
    }
  }
}
