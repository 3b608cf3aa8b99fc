import { readFileSync } from 'node:fs';
import path from 'node:path';
import { argmax } from '../data/index.js';
// Direct module imports, not quantize/index.js: that one also exports calibration, which loads tfjs.
import { loadArtifact } from '../quantize/load.js';
import { Simulator } from '../quantize/simulator.js';
import type { Int8Model } from '../quantize/artifact.js';
import type { BackendChoice } from '../train/backend-choices.js';
import type { DigitBoardOptions } from '../device/index.js';
import { checkPortPath, CliError } from './command.js';

// tfjs (src/train), firmware-gen and src/device (serialport, johnny-five) are imported by the engines that use
// them, so `predict --engine sim` starts without loading any of them.

/** Every engine answers the same question: 10 logits per 28×28 image. */
export interface EngineRun {
  readonly engine: string;
  readonly logits: ArrayLike<number>;
  readonly predicted: Uint8Array;
  readonly seconds: number;
  /** What the board measured, for the engines that run on one (qemu, board). */
  readonly device?: DeviceFigures;
}

/** Per-inference cost: the emulated M4's instruction count (from the classify reply's timing field), or a board's timings. */
export type DeviceFigures =
  | {
      readonly kind: 'emulated-cortex-m4';
      /** Counted by QEMU -icount: exact, not an estimate. */
      readonly instructions_per_inference: number;
      readonly instructions_per_mac: number;
      /** instructions × CPI at cpu_mhz: an estimate. */
      readonly estimated_ms: number;
      readonly cpu_mhz: number;
      readonly assumed_cpi: number;
    }
  | {
      readonly kind: 'board';
      readonly device_us_median: number;
      readonly round_trip_ms_median: number;
      readonly images_per_second: number;
      readonly retries: number;
    };

export interface EngineOptions {
  readonly backend: BackendChoice;
  readonly log: (s: string) => void;
  /** --engine board: a board running edge-digits firmware at `port`, or the virtual board built from the model. */
  readonly board?: { readonly port?: string; readonly virtual?: boolean; readonly link?: DigitBoardOptions };
}

export const ENGINE_NAMES = ['float', 'sim', 'c', 'qemu', 'board'] as const;

export function predictions(logits: ArrayLike<number>, count: number): Uint8Array {
  const p = new Uint8Array(count);
  for (let i = 0; i < count; i++) p[i] = argmax(logits, i * 10, 10);
  return p;
}

/** True when the path is an int8 artifact rather than a float tfjs model. */
export function isArtifact(model: string): boolean {
  if (model.endsWith('.int8.json')) return true;
  if (!model.endsWith('.json')) return false;
  try {
    return readFileSync(model, 'utf8').slice(0, 200).includes('"edge-digits-int8"');
  } catch {
    return false;
  }
}

export function defaultEngine(model: string): string {
  return isArtifact(model) ? 'sim' : 'float';
}

export async function runFloat(model: string, images: Uint8Array, count: number, o: EngineOptions): Promise<EngineRun> {
  const { loadModel, predictFloatLogits, readModelFiles, selectBackend } = await import('../train/index.js');
  readModelFiles(model); // a missing or truncated model is reported before any backend chatter
  const b = await selectBackend(o.backend);
  o.log(`backend: ${b.name} — ${b.reason}`);
  const m = await loadModel(model);
  const t0 = performance.now();
  const logits = predictFloatLogits(m, images, count);
  return { engine: 'float', logits, predicted: predictions(logits, count), seconds: (performance.now() - t0) / 1000 };
}

export function runSim(artifact: Int8Model, images: Uint8Array, count: number): EngineRun {
  const sim = new Simulator(artifact);
  const t0 = performance.now();
  const { logits, digits } = sim.classifyMany(images, count);
  return { engine: 'sim', logits, predicted: digits, seconds: (performance.now() - t0) / 1000 };
}

/**
 * The generated C engine compiled for this machine (gcc -O2, cached by a hash of the generated sources) and run
 * on the images in one process; its logits must equal the simulator's bit for bit.
 */
export async function runC(artifactPath: string, images: Uint8Array, count: number, o: EngineOptions): Promise<EngineRun> {
  const { buildHostEngine, generateFromArtifactFile, HOST_BATCH_MAIN, runHostEngine } = await import('../../firmware-gen/index.js');
  const fw = generateFromArtifactFile(artifactPath, 'host');
  const exe = buildHostEngine(fw, { main: HOST_BATCH_MAIN, optimization: '-O2' });
  o.log(`c engine: ${exe}`);
  const r = runHostEngine(exe, images, count);
  return { engine: 'c', logits: r.logits, predicted: r.digits, seconds: r.seconds };
}

/**
 * The generated firmware on an emulated Cortex-M4 (QEMU mps2-an386, firmware-gen/targets/mps2), through the same
 * host client as a real board; its logits must equal the simulator's bit for bit. One request at a time: QEMU
 * feeds the UART a byte per main-loop turn, and queued requests only slow that down.
 */
export async function runQemu(artifactPath: string, images: Uint8Array, count: number, o: EngineOptions): Promise<EngineRun> {
  const { meanInstructionsPerInference, runImagesOnQemu } = await import('../device/index.js');
  const r = await runImagesOnQemu({ artifact: artifactPath, window: 1, log: o.log }, images, count);
  if (count === 0) return { engine: 'qemu', logits: r.logits, predicted: r.digits, seconds: r.seconds };
  const instructions = Math.round(meanInstructionsPerInference(r));
  const device: DeviceFigures = {
    kind: 'emulated-cortex-m4', instructions_per_inference: instructions, instructions_per_mac: Number((instructions / r.macs).toFixed(3)),
    // The board's own latency estimate (its timing field), not recomputed here.
    estimated_ms: Number((r.deviceMicros.reduce((sum, us) => sum + us, 0) / count / 1000).toFixed(2)),
    cpu_mhz: r.clock.cpuMhz, assumed_cpi: r.clock.cpiNum / r.clock.cpiDen,
  };
  o.log(`qemu: ${instructions} instructions per inference (${(instructions / r.macs).toFixed(2)} per MAC), ~${device.estimated_ms.toFixed(1)} ms at ${r.clock.cpuMhz} MHz, CPI ${r.clock.cpiNum}/${r.clock.cpiDen} assumed`);
  return { engine: 'qemu', logits: r.logits, predicted: r.digits, seconds: r.seconds, device };
}

/**
 * A board over its serial port (johnny-five + firmata-io + the classify extension, src/device): a real one at
 * --port, or with --virtual the generated firmware built for this machine behind a pty. A real board runs
 * whatever model it was flashed with; --model only matters for --virtual.
 */
export async function runBoard(model: string, images: Uint8Array, count: number, o: EngineOptions): Promise<EngineRun> {
  const target = o.board ?? {};
  if (target.port && target.virtual) throw new CliError('--port and --virtual exclude each other: --port is a real board, --virtual starts one');
  if (!target.port && !target.virtual) throw new CliError('--engine board needs --port <serial port> (a board running edge-digits firmware) or --virtual (a virtual board built from --model)');
  if (target.port) checkPortPath(target.port);
  const { runImagesOnBoard, startVirtualBoard } = await import('../device/index.js');
  let virtual: Awaited<ReturnType<typeof startVirtualBoard>> | null = null;
  if (target.virtual) {
    requireArtifact(model, 'board');
    virtual = await startVirtualBoard({ artifact: model, log: (line) => o.log(`virtual board: ${line}`) });
    o.log(`virtual board: ${virtual.path} (${virtual.exe})`);
  }
  try {
    const r = await runImagesOnBoard(virtual ? virtual.path : (target.port as string), images, count, { ...target.link, log: o.log });
    if (count === 0) return { engine: 'board', logits: r.logits, predicted: r.digits, seconds: r.seconds };
    const micros = Array.from(r.deviceMicros).sort((a, b) => a - b);
    const trips = Array.from(r.roundTripMs).sort((a, b) => a - b);
    const device: DeviceFigures = {
      kind: 'board', device_us_median: micros[count >> 1], round_trip_ms_median: Number(trips[count >> 1].toFixed(3)),
      images_per_second: Number((count / r.seconds).toFixed(1)), retries: r.retries,
    };
    o.log(`board: ${device.images_per_second.toFixed(0)} images/s, device ${device.device_us_median} µs median, round trip ${device.round_trip_ms_median.toFixed(2)} ms median, ${r.retries} retries`);
    return { engine: 'board', logits: r.logits, predicted: r.digits, seconds: r.seconds, device };
  } finally {
    await virtual?.close();
  }
}

function requireArtifact(model: string, engine: string): Int8Model {
  if (!isArtifact(model)) throw new CliError(`--engine ${engine} runs an int8 artifact (model.int8.json); '${model}' is a float model — run 'edge-digits quantize --model ${model}' first`);
  return loadArtifact(model);
}

/** The float model an artifact was made from, if it is still where the artifact says and unchanged. */
export async function floatSourceOf(artifactPath: string, artifact: Int8Model): Promise<string | null> {
  const dir = path.resolve(path.dirname(artifactPath), artifact.source.model);
  const { modelHash } = await import('../train/model-io.js');
  try {
    return modelHash(dir) === artifact.source.sha256 ? dir : null;
  } catch {
    return null;
  }
}

export async function runEngine(engine: string, model: string, set: { images: Uint8Array; count: number }, o: EngineOptions): Promise<EngineRun> {
  switch (engine) {
    case 'float':
      if (isArtifact(model)) throw new CliError(`--engine float runs a float model folder; '${model}' is an int8 artifact (use --engine sim)`);
      return runFloat(model, set.images, set.count, o);
    case 'sim':
      return runSim(requireArtifact(model, engine), set.images, set.count);
    case 'c':
      requireArtifact(model, engine);
      return runC(model, set.images, set.count, o);
    case 'qemu':
      requireArtifact(model, engine);
      return runQemu(model, set.images, set.count, o);
    case 'board':
      return runBoard(model, set.images, set.count, o);
    default:
      throw new CliError(`unknown engine '${engine}'; engines: ${ENGINE_NAMES.join(', ')}`);
  }
}
