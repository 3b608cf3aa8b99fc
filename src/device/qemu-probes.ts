/**
 * Programs that run once on the QEMU board and report on UART0 (calibration, layer probe, DSP kernel check):
 * boot them with UART0 on stdio, collect their JSON lines, and turn timer ticks into instruction counts.
 * See docs/m4-cost.md.
 */
import { spawn } from 'node:child_process';
import { generateFromArtifactFile } from '../../firmware-gen/index.js';
import {
  buildMps2Calibration, buildMps2DspCheck, buildMps2LayerProbe, DEFAULT_INSTRUCTION_CLOCK, timerTicksPerInstruction,
  type InstructionClock, type Mps2Engine, type Mps2Image,
} from '../../firmware-gen/targets/mps2/build.js';
import { describeExit, killOnExit, QEMU_BINARY, QemuError, qemuArgs, stopChild } from './qemu-board.js';

export interface CalibrationLoop {
  readonly name: string;
  readonly instructionsPerIteration: number;
  readonly points: readonly { readonly iterations: number; readonly instructions: number; readonly ticks: number }[];
  /** Least-squares fit ticks = slope · instructions + intercept. */
  readonly slope: number;
  readonly intercept: number;
  /** Largest |ticks − fit| over the points, in ticks. */
  readonly maxResidualTicks: number;
}

export interface CalibrationReport {
  readonly clock: InstructionClock;
  /** 2^shift / 40: what the slope of every loop should be. */
  readonly expectedTicksPerInstruction: number;
  readonly loops: readonly CalibrationLoop[];
  /** Largest relative deviation of a loop's slope from the expected one. */
  readonly maxSlopeError: number;
  /** Instructions between the two timer reads of micros() → classify() → micros() besides the classify body. */
  readonly timingOverheadInstructions: number;
  /** Instructions between two back-to-back mps2_clock_ticks() reads: the subs-bne fit's intercept. */
  readonly readOverheadInstructions: number;
  readonly seconds: number;
}

interface RawLoop { kind: 'loop'; name: string; instructions_per_iteration: number; iterations: number; ticks: number }

function fitLine(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/** Parses the calibration program's JSON lines (calibrate_main.c) and fits each loop. */
export function analyseCalibration(text: string, clock: InstructionClock, seconds = 0): CalibrationReport {
  const loops = new Map<string, RawLoop[]>();
  let overheadTicks: number | null = null;
  let done = false;
  text.split('\n').forEach((line, i) => {
    const t = line.trim();
    if (!t.startsWith('{')) return;
    let o: { kind?: unknown; name?: unknown; ticks?: unknown };
    try {
      o = JSON.parse(t) as typeof o;
    } catch {
      throw new QemuError(`calibration output line ${i + 1}: not JSON: ${t}`);
    }
    if (o.kind === 'loop') {
      const r = o as RawLoop;
      loops.set(r.name, [...(loops.get(r.name) ?? []), r]);
    } else if (o.kind === 'timing-overhead' && typeof o.ticks === 'number') overheadTicks = o.ticks;
    else if (o.kind === 'done') done = true;
  });
  if (!done) throw new QemuError(`calibration output ended before {"kind":"done"}:\n${text.slice(-500)}`);
  if (overheadTicks === null || loops.size === 0) throw new QemuError('calibration output has no loop or timing-overhead lines');
  const expected = timerTicksPerInstruction(clock);
  const fitted: CalibrationLoop[] = [...loops.values()].map((raw) => {
    const points = raw.map((r) => ({ iterations: r.iterations, instructions: r.iterations * r.instructions_per_iteration, ticks: r.ticks }));
    const { slope, intercept } = fitLine(points.map((p) => p.instructions), points.map((p) => p.ticks));
    const maxResidualTicks = Math.max(...points.map((p) => Math.abs(p.ticks - (slope * p.instructions + intercept))));
    return { name: raw[0].name, instructionsPerIteration: raw[0].instructions_per_iteration, points, slope, intercept, maxResidualTicks };
  });
  return {
    clock,
    expectedTicksPerInstruction: expected,
    loops: fitted,
    maxSlopeError: Math.max(...fitted.map((l) => Math.abs(l.slope / expected - 1))),
    timingOverheadInstructions: (overheadTicks as number) / expected,
    readOverheadInstructions: fitted[0].intercept / expected,
    seconds,
  };
}

const DONE_LINE = '{"kind":"done"}';

/**
 * Boots a program that reports on UART0 and halts (calibration, layer probe) with UART0 on stdio, and returns
 * its output once it printed {"kind":"done"} (QEMU never exits by itself: the program ends in WFI).
 */
export async function runQemuToDone(image: Mps2Image, o: { readonly qemu?: string; readonly timeoutMs?: number; readonly extraArgs?: readonly string[] } = {}): Promise<{ text: string; seconds: number }> {
  const qemu = o.qemu ?? QEMU_BINARY;
  const args = [...qemuArgs(image.elf, image.clock, 'stdio'), ...(o.extraArgs ?? [])];
  const commandLine = `${qemu} ${args.join(' ')}`;
  const timeoutMs = o.timeoutMs ?? 60_000;
  const t0 = performance.now();
  const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const forget = killOnExit(child);
  let out = '';
  let err = '';
  const text = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stopChild(child, forget).then(() => reject(new QemuError(`${image.elf} did not print ${DONE_LINE} within ${timeoutMs} ms\n  command: ${commandLine}\n  output: ${out.slice(-500)}${err}`)));
    }, timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      forget();
      reject(new QemuError(e.code === 'ENOENT' ? `${qemu} is not installed (Debian: apt-get install qemu-system-arm)` : `cannot start ${qemu}: ${e.message}`));
    });
    child.stderr?.on('data', (c: Buffer) => { err += c.toString('utf8'); });
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      if (out.includes(DONE_LINE)) {
        clearTimeout(timer);
        void stopChild(child, forget).then(() => resolve(out));
      }
    });
    child.once('exit', (code, signal) => {
      if (out.includes(DONE_LINE)) return;
      clearTimeout(timer);
      forget();
      reject(new QemuError(`QEMU stopped before ${DONE_LINE} (${describeExit(code, signal)})\n  command: ${commandLine}\n  output: ${out.slice(-500)}${err}`));
    });
  });
  return { text, seconds: (performance.now() - t0) / 1000 };
}

/** Builds and runs the calibration program (a second or two). */
export async function runQemuCalibration(o: { readonly clock?: InstructionClock; readonly qemu?: string; readonly timeoutMs?: number } = {}): Promise<CalibrationReport> {
  const image = buildMps2Calibration({ clock: o.clock ?? DEFAULT_INSTRUCTION_CLOCK });
  const { text, seconds } = await runQemuToDone(image, o);
  return analyseCalibration(text, image.clock, seconds);
}

/** JSON lines of a probe program, each an object; anything else (a fault report) is an error naming the line. */
function jsonLines(text: string, what: string): Record<string, unknown>[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0).map((l, i) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      throw new QemuError(`${what} output line ${i + 1} is not JSON: ${l}`);
    }
  });
}

export interface ProbedLayer {
  readonly index: number;
  readonly op: string;
  /** Instructions from this kernel's stamp to the next (a stamp is ~8 instructions; see layer_probe.h). */
  readonly instructions: number;
}

export interface ProbedImage {
  readonly layers: readonly ProbedLayer[];
  /** The whole ed_classify call, stamps included. */
  readonly classifyInstructions: number;
  readonly digit: number;
  readonly logits: Int8Array;
}

/** Parses the layer probe's JSON lines (layer_probe_main.c). */
export function analyseLayerProbe(text: string, clock: InstructionClock): ProbedImage[] {
  const tpi = timerTicksPerInstruction(clock);
  const lines = jsonLines(text, 'layer probe');
  const fail = lines.find((l) => l.kind === 'error');
  if (fail) throw new QemuError(`layer probe: ${String(fail.message)}`);
  if (!lines.some((l) => l.kind === 'done')) throw new QemuError(`layer probe output ended before ${DONE_LINE}`);
  const images: ProbedImage[] = [];
  let layers: ProbedLayer[] = [];
  for (const l of lines) {
    if (l.kind === 'layer') layers.push({ index: Number(l.index), op: String(l.op), instructions: Number(l.ticks) / tpi });
    else if (l.kind === 'classify') {
      images.push({ layers, classifyInstructions: Number(l.ticks) / tpi, digit: Number(l.digit), logits: Int8Array.from(l.logits as number[]) });
      layers = [];
    }
  }
  return images;
}

/** Builds the layer probe for an artifact with `count` images compiled in, runs it, and returns its counts. */
export async function runQemuLayerProbe(artifact: string, images: Uint8Array, count: number, o: { readonly clock?: InstructionClock; readonly engine?: Mps2Engine; readonly qemu?: string; readonly timeoutMs?: number } = {}): Promise<ProbedImage[]> {
  const fw = generateFromArtifactFile(artifact, 'host');
  const image = buildMps2LayerProbe(fw, images, count, { clock: o.clock ?? DEFAULT_INSTRUCTION_CLOCK, engine: o.engine ?? 'dsp' });
  const { text } = await runQemuToDone(image, o);
  return analyseLayerProbe(text, image.clock);
}

export interface DspCheck {
  readonly name: string;
  readonly cases: number;
  readonly mismatches: number;
  /** The first mismatch's description, when there was one. */
  readonly firstMismatch: string | null;
}

/** Runs the DSP kernels and the portable packed loop against the reference kernels on random shapes and values on the emulated M4 (dsp_check_main.c). */
export async function runQemuDspCheck(o: { readonly qemu?: string; readonly timeoutMs?: number } = {}): Promise<DspCheck[]> {
  const { text } = await runQemuToDone(buildMps2DspCheck(), o);
  const lines = jsonLines(text, 'DSP check');
  return lines.filter((l) => l.kind === 'check').map((l) => {
    const first = lines.find((m) => m.kind === 'mismatch' && m.name === l.name);
    return { name: String(l.name), cases: Number(l.cases), mismatches: Number(l.mismatches), firstMismatch: first ? `case ${String(first.case)}: ${String(first.detail)}` : null };
  });
}
