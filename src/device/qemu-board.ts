import { spawn, type ChildProcess } from 'node:child_process';
import { generateFromArtifactFile } from '../../firmware-gen/index.js';
import { runImagesOnBoard, type BoardRun } from './board-run.js';
import {
  buildMps2Firmware, DEFAULT_INSTRUCTION_CLOCK, QEMU_MACHINE, type InstructionClock, type Mps2Engine, type Mps2Image,
} from '../../firmware-gen/targets/mps2/build.js';

/** QEMU failed to start, print its pty, or finish a run; the message carries its command line and output. */
export class QemuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QemuError';
  }
}

export const QEMU_BINARY = 'qemu-system-arm';

/**
 * `-icount shift=N` makes virtual time count instructions (see mps2_clock.h); `-serial pty` gives the host a
 * serial port; no display, no monitor, so nothing but the board reads or writes the terminal.
 */
export function qemuArgs(elf: string, clock: InstructionClock, serial: 'pty' | 'stdio'): string[] {
  return [
    '-M', QEMU_MACHINE, '-display', 'none', '-monitor', 'none', '-serial', serial,
    '-icount', `shift=${clock.icountShift}`, '-kernel', elf,
  ];
}

/** The pty QEMU attached UART0 to, from its "char device redirected to /dev/pts/N (label serial0)" line. */
export function parsePtyPath(output: string): string | null {
  const m = /char device redirected to (\/dev\/\S+) \(label serial0\)/.exec(output);
  return m ? m[1] : null;
}

export interface QemuBoardOptions {
  /** int8 artifact (model.int8.json) to build the firmware from. */
  readonly artifact: string;
  readonly clock?: InstructionClock;
  /** Kernels (default 'dsp', ed_dsp_*.h: what the generated engine picks on a real Cortex-M4; 'portable' for comparison). */
  readonly engine?: Mps2Engine;
  readonly qemu?: string;
  /** How long QEMU may take to print its pty path (it prints it before the guest runs). */
  readonly startTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface QemuBoard {
  /** The pty to open like any serial board (any baud rate). */
  readonly port: string;
  readonly elf: string;
  readonly engine: Mps2Engine;
  readonly clock: InstructionClock;
  readonly pid: number;
  /** Multiply-accumulates per image of the model in the firmware. */
  readonly macs: number;
  /** Stops QEMU (SIGTERM, then SIGKILL after 2 s) and resolves when it has exited. */
  close(): Promise<void>;
}

export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

/** Kills a child when this process exits, so an aborted run does not leave QEMU holding a pty. */
export function killOnExit(child: ChildProcess): () => void {
  const kill = (): void => { child.kill('SIGKILL'); };
  process.once('exit', kill);
  return () => { process.removeListener('exit', kill); };
}

/** SIGTERM, then SIGKILL after 2 s; resolves once the child has exited. */
export function stopChild(child: ChildProcess, forget: () => void): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      forget();
      resolve();
      return;
    }
    const force = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(force);
      forget();
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts QEMU on an already built image and waits for its pty path. */
export function launchQemu(image: Mps2Image, o: { readonly qemu?: string; readonly startTimeoutMs?: number; readonly macs: number; readonly log?: (s: string) => void }): Promise<QemuBoard> {
  const qemu = o.qemu ?? QEMU_BINARY;
  const args = qemuArgs(image.elf, image.clock, 'pty');
  const commandLine = `${qemu} ${args.join(' ')}`;
  o.log?.(`qemu: ${commandLine}`);
  const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const forget = killOnExit(child);
  let output = '';
  return new Promise<QemuBoard>((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      void stopChild(child, forget).then(() => reject(new QemuError(`${why}\n  command: ${commandLine}\n  output: ${output.trim() || '(none)'}`)));
    };
    const timer = setTimeout(() => fail(`QEMU did not report its serial pty within ${o.startTimeoutMs ?? 10000} ms`), o.startTimeoutMs ?? 10000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const port = parsePtyPath(output);
      if (!port) return;
      clearTimeout(timer);
      child.stdout?.removeListener('data', onData);
      child.stderr?.removeListener('data', onData);
      // Keep draining QEMU's own messages so a full pipe never blocks it; show them when asked.
      child.stdout?.on('data', (c: Buffer) => o.log?.(`qemu: ${c.toString('utf8').trim()}`));
      child.stderr?.on('data', (c: Buffer) => o.log?.(`qemu: ${c.toString('utf8').trim()}`));
      child.removeListener('exit', onExit);
      resolve({
        port, elf: image.elf, engine: image.engine, clock: image.clock, pid: child.pid ?? -1, macs: o.macs,
        close: () => {
          // QEMU's own "terminating on signal 15" is expected here, not news.
          child.stdout?.removeAllListeners('data').resume();
          child.stderr?.removeAllListeners('data').resume();
          return stopChild(child, forget);
        },
      });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      forget();
      reject(new QemuError(`QEMU stopped before reporting its serial pty (${describeExit(code, signal)})\n  command: ${commandLine}\n  output: ${output.trim() || '(none)'}`));
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      forget();
      reject(new QemuError(e.code === 'ENOENT' ? `${qemu} is not installed (Debian: apt-get install qemu-system-arm)` : `cannot start ${qemu}: ${e.message}`));
    });
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/**
 * Builds the board firmware for an artifact (cached by a hash of every source) and boots it in QEMU. The board
 * answers Firmata queries at any time, so the host starts the handshake once it holds the pty open (QEMU drops
 * UART output while nobody does).
 */
export async function startQemuBoard(o: QemuBoardOptions): Promise<QemuBoard> {
  const fw = generateFromArtifactFile(o.artifact, 'host');
  const image = buildMps2Firmware(fw, { clock: o.clock ?? DEFAULT_INSTRUCTION_CLOCK, engine: o.engine ?? 'dsp' });
  o.log?.(`mps2 firmware (${image.engine} kernels): ${image.elf}`);
  return launchQemu(image, { macs: fw.macs, ...(o.qemu ? { qemu: o.qemu } : {}), ...(o.startTimeoutMs ? { startTimeoutMs: o.startTimeoutMs } : {}), ...(o.log ? { log: o.log } : {}) });
}

export interface QemuRun extends BoardRun {
  readonly elf: string;
  readonly engine: Mps2Engine;
  readonly clock: InstructionClock;
  readonly macs: number;
}

/**
 * "Run these images on the QEMU board": boots it, classifies through the same host client as a real board
 * (DigitBoard over johnny-five/firmata-io), and stops QEMU whatever happens. deviceMicros holds the board's
 * timing field: the estimated latency at clock.cpuMhz (see instructionsFromMicros).
 */
export async function runImagesOnQemu(o: QemuBoardOptions & { readonly window?: number }, images: Uint8Array, count: number): Promise<QemuRun> {
  const board = await startQemuBoard(o);
  try {
    const run = await runImagesOnBoard(board.port, images, count, { ...(o.window ? { window: o.window } : {}), ...(o.log ? { log: o.log } : {}) });
    return { ...run, elf: board.elf, engine: board.engine, clock: board.clock, macs: board.macs };
  } finally {
    await board.close();
  }
}

/**
 * Instructions of one inference from the classify reply's timing field on this board, which carries
 * floor(instructions · CPI / MHz) µs. Exact up to the floor: ± MHz / CPI instructions (43 at 64 MHz, CPI 3/2).
 */
export function instructionsFromMicros(micros: number, clock: InstructionClock): number {
  return (micros * clock.cpuMhz * clock.cpiDen) / clock.cpiNum;
}

/**
 * Mean instructions per inference of a run, as the board counted them (the ~40 instructions of reading the timer
 * included; bench/m4-cost.ts subtracts them after calibrating). NaN for an empty run.
 */
export function meanInstructionsPerInference(run: QemuRun): number {
  return instructionsFromMicros(run.deviceMicros.reduce((a, b) => a + b, 0) / run.deviceMicros.length, run.clock);
}
