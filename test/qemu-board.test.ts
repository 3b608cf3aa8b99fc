/**
 * The QEMU board (firmware-gen/targets/mps2 on qemu-system-arm -M mps2-an386): the instruction clock agrees with
 * loops of known length, johnny-five reaches `ready` over its pty, malformed requests get exactly the error
 * replies of the protocol fixtures and of the virtual board, and `--engine qemu` gives the simulator's logits.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolsPresent } from './tools.js';
import { DEFAULT_INSTRUCTION_CLOCK } from '../firmware-gen/targets/mps2/build.js';
import { classificationReport, loadDigitSet } from '../src/data/index.js';
import { BoardMessageDecoder, encodeProtocolInfoQuery, type BoardMessage } from '../src/device/protocol/index.js';
import { runQemuCalibration, startQemuBoard, startVirtualBoard, type QemuBoard } from '../src/device/index.js';
import { runEngine } from '../src/cli/engines.js';
import { Simulator, loadArtifact } from '../src/quantize/index.js';
import { toFixtureMessage, type FixtureFile, type FixtureMessage } from './fixtures/protocol/generate.js';

const ARTIFACT = process.env.EDGE_DIGITS_QEMU_ARTIFACT ?? path.join('models', 'default', 'model.int8.json');
const runnable = toolsPresent('qemu-board', ['qemu-system-arm', 'arm-none-eabi-gcc', 'gcc'], existsSync(ARTIFACT) ? [] : [ARTIFACT]);

/** The pty as a byte pipe: everything the board sends, decoded, in order. */
class RawLink {
  readonly messages: BoardMessage[] = [];
  readonly problems: string[] = [];
  private readonly decoder = new BoardMessageDecoder();

  private constructor(private readonly port: SerialPort) {
    port.on('data', (chunk: Buffer) => {
      for (const r of this.decoder.push(chunk)) {
        if (r.ok) this.messages.push(r.message);
        else this.problems.push(r.error.message);
      }
    });
  }

  static open(path: string): Promise<RawLink> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path, baudRate: 115200 }, (e) => (e ? reject(e) : resolve(new RawLink(port))));
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.port.write(Buffer.from(bytes), (e) => (e ? reject(e) : this.port.drain((d) => (d ? reject(d) : resolve()))));
    });
  }

  /** Resolves with the messages received up to and including the first one `until` accepts. */
  async waitFor(until: (m: BoardMessage) => boolean, timeoutMs: number): Promise<BoardMessage[]> {
    const t0 = performance.now();
    for (;;) {
      const at = this.messages.findIndex(until);
      if (at >= 0) return this.messages.splice(0, at + 1);
      if (performance.now() - t0 > timeoutMs) throw new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages.map(toFixtureMessage))}, decode problems: ${this.problems.join('; ') || 'none'}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.port.isOpen ? this.port.close(() => resolve()) : resolve()));
  }
}

interface J5Board {
  readonly isReady: boolean;
  readonly io: {
    readonly pins: readonly { readonly supportedModes: readonly number[] }[];
    readonly firmware: { readonly name: string }; readonly version: { readonly major: number; readonly minor: number };
  };
  once(event: 'ready' | 'error', fn: (e?: unknown) => void): void;
}
const require = createRequire(import.meta.url);
const { Board } = require('johnny-five') as { Board: new (o: { io: unknown; repl: boolean; debug: boolean; timeout: number }) => J5Board };
const { Firmata } = require('firmata-io') as { Firmata: new (port: SerialPort, o: { reportVersionTimeout: number }) => unknown };

describe.runIf(runnable)('QEMU mps2-an386 board', () => {
  let board: QemuBoard;
  beforeAll(async () => {
    board = await startQemuBoard({ artifact: ARTIFACT });
  }, 120_000);
  afterAll(async () => {
    await board?.close();
  });

  it('counts instructions: timer0 advances 2^shift/40 ticks per instruction for loops of every instruction kind', async () => {
    const cal = await runQemuCalibration({ clock: DEFAULT_INSTRUCTION_CLOCK });
    expect(cal.expectedTicksPerInstruction).toBe(1.6);
    expect(cal.loops.map((l) => l.name)).toEqual(['subs-bne', 'ldr-mla-subs-bne', 'udiv-subs-bne']);
    // A divide or a load costs the real core several cycles; here each is one instruction, like a branch.
    for (const l of cal.loops) {
      expect(Math.abs(l.slope / cal.expectedTicksPerInstruction - 1), l.name).toBeLessThan(1e-5);
      expect(l.maxResidualTicks, l.name).toBeLessThanOrEqual(1);
    }
    expect(cal.timingOverheadInstructions).toBeGreaterThan(0);
    expect(cal.timingOverheadInstructions).toBeLessThan(200);
  }, 60_000);

  it('johnny-five\'s Board becomes ready over the pty, with the board\'s firmware name and pins', async () => {
    const port = new SerialPort({ path: board.port, baudRate: 115200, autoOpen: true });
    try {
      const j5 = new Board({ io: new Firmata(port, { reportVersionTimeout: 300 }), repl: false, debug: false, timeout: 10_000 });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('johnny-five did not become ready within 15 s')), 15_000);
        j5.once('ready', () => { clearTimeout(timer); resolve(); });
        j5.once('error', (e) => { clearTimeout(timer); reject(e instanceof Error ? e : new Error(String(e))); });
      });
      expect(j5.isReady).toBe(true);
      expect(j5.io.firmware.name).toBe('EdgeDigits-QEMU-mps2-an386');
      expect(j5.io.version).toEqual({ major: 2, minor: 5 });
      expect(j5.io.pins.map((p) => [...p.supportedModes])).toEqual([[1], [1], [0], [0]]); // LED0-1 out, PB0-1 in
    } finally {
      await new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
    }
  }, 30_000);

  /** Feeds each fixture case, then a ping; returns every case's messages before the ping's reply. */
  async function runCases(port: string, cases: FixtureFile['cases']): Promise<FixtureMessage[][]> {
    const link = await RawLink.open(port);
    try {
      let marker = 16000;
      const out: FixtureMessage[][] = [];
      for (const c of cases) {
        for (const step of c.steps) if ('feed' in step) await link.write(Buffer.from(step.feed, 'hex'));
        const seq = marker++;
        await link.write(encodeProtocolInfoQuery(seq));
        out.push((await link.waitFor((m) => m.kind === 'protocol-info' && m.seq === seq, 10_000)).slice(0, -1).map(toFixtureMessage));
      }
      expect(link.problems).toEqual([]);
      return out;
    } finally {
      await link.close();
    }
  }

  it('answers every malformed request like the protocol fixtures and the virtual board', async () => {
    const cases = (JSON.parse(readFileSync(path.join('test', 'fixtures', 'protocol', 'errors.json'), 'utf8')) as FixtureFile).cases;
    const qemu = await runCases(board.port, cases);
    const virtual = await startVirtualBoard({ artifact: ARTIFACT });
    let posix: FixtureMessage[][];
    try {
      posix = await runCases(virtual.path, cases);
    } finally {
      await virtual.close();
    }
    // Only the timing field may differ between the boards: the same core and the same generated engine answer.
    const untimed = (m: FixtureMessage): unknown => (m.kind === 'classify-reply' ? { ...m, inferenceMicros: 0 } : m);
    // The fixtures' classify replies come from a test classifier; error replies and the rest must match exactly.
    const shape = (m: FixtureMessage): unknown => (m.kind === 'classify-reply' ? { kind: m.kind, seq: m.seq, status: m.status } : m);
    cases.forEach((c, i) => {
      expect(qemu[i].map(untimed), c.name).toEqual(posix[i].map(untimed));
      expect(qemu[i].map(shape), c.name).toEqual(c.messages.map(shape));
    });
    expect(qemu.flat().filter((m) => m.kind === 'error-reply').length).toBeGreaterThanOrEqual(cases.length - 1);
  }, 120_000);
});

describe.runIf(runnable)('--engine qemu', () => {
  const IMAGES = 500;
  it(`gives the simulator's accuracy and logits, bit for bit, on ${IMAGES} MNIST test images`, async () => {
    const set = loadDigitSet('mnist:test', IMAGES);
    const logLines: string[] = [];
    const run = await runEngine('qemu', ARTIFACT, set, { backend: 'auto', log: (l) => logLines.push(l) });
    const sim = new Simulator(loadArtifact(ARTIFACT)).classifyMany(set.images, set.count);
    let firstDiff = 'none';
    for (let i = 0; i < IMAGES * 10 && firstDiff === 'none'; i++) {
      if (run.logits[i] !== sim.logits[i]) firstDiff = `image ${Math.floor(i / 10)} logit ${i % 10}: qemu ${run.logits[i]} vs simulator ${sim.logits[i]}`;
    }
    expect(firstDiff).toBe('none');
    expect(classificationReport(set.labels, run.predicted).accuracy).toBe(classificationReport(set.labels, sim.digits).accuracy);
    expect(logLines.some((l) => /instructions per inference/.test(l))).toBe(true);
    // Instruction counts are exact under -icount, so this bound holds or fails deterministically.
    const device = run.device;
    if (device?.kind !== 'emulated-cortex-m4') throw new Error(`--engine qemu reported no emulated-M4 figures: ${JSON.stringify(device)}`);
    expect(device.instructions_per_mac).toBeGreaterThan(0.5);
    expect(device.instructions_per_mac).toBeLessThanOrEqual(1.0); // the target; measured 0.97 (docs/m4-cost.md)
    const expectedMs = (device.instructions_per_inference * device.assumed_cpi) / (device.cpu_mhz * 1000);
    expect(Math.abs(device.estimated_ms - expectedMs) / expectedMs).toBeLessThan(0.01);
    // What a Cortex-M4 build picks by itself: the DSP kernels.
    expect(logLines.some((l) => /dsp kernels/.test(l))).toBe(true);
  }, 240_000);
});
