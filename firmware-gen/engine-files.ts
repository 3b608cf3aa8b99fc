import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** firmware-gen/ in this checkout: the engine C files and the size-probe startup live under it. */
export const FIRMWARE_GEN_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ENGINE_DIR = path.join(FIRMWARE_GEN_DIR, 'engine');

/**
 * The engine files every target ships (host, posix, mps2, the Arduino library): the public API, the fixed-point
 * primitives, one reference kernel per op, the optimized kernels, and ed_kernels.h, which includes the kernels the
 * core can run (the DSP ones where __ARM_FEATURE_DSP is set).
 */
export const ENGINE_FILES = [
  'ed_engine.h', 'ed_fixedpoint.h', 'ed_requantize.h', 'ed_kernels_common.h',
  'ed_conv.h', 'ed_max_pool.h', 'ed_fully_connected.h', 'ed_conv_packed.h',
  'ed_dsp_conv.h', 'ed_dsp_fully_connected.h', 'ed_kernels.h', 'ed_engine.c',
] as const;

/** The engine's headers: what a program that calls the kernels directly (the QEMU kernel check) compiles with. */
export const ENGINE_HEADERS = ENGINE_FILES.filter((f) => f.endsWith('.h'));

/**
 * Kernels shipped only with a model that uses their op, so models without it get exactly the files they need
 * (and the committed firmware of models/default stays as it is).
 */
export const OP_ENGINE_FILES = { logistic: 'ed_logistic.h' } as const;

export type EngineFileName = (typeof ENGINE_FILES)[number] | (typeof OP_ENGINE_FILES)[keyof typeof OP_ENGINE_FILES];

/** The engine files for a model whose layers use `ops`, in include order. */
export function engineFilesFor(ops: Iterable<string>): EngineFileName[] {
  const used = new Set(ops);
  const extra = (Object.keys(OP_ENGINE_FILES) as (keyof typeof OP_ENGINE_FILES)[]).filter((op) => used.has(op)).map((op) => OP_ENGINE_FILES[op]);
  return [...ENGINE_FILES.slice(0, -1), ...extra, ENGINE_FILES[ENGINE_FILES.length - 1]];
}

/** Marks a generated or copied file, so a later generation may replace or remove it (and nothing else). */
export const GENERATED_MARKER = 'edge-digits firmware-gen';

/**
 * An engine file as shipped: the original text under a one-line note saying where it came from, so nobody edits
 * the copy. The note carries no version or date, keeping output byte-identical across runs.
 */
export function engineFile(name: EngineFileName): string {
  const text = readFileSync(path.join(ENGINE_DIR, name), 'utf8');
  return `/* Copied by ${GENERATED_MARKER} from firmware-gen/engine/${name}; edit the original, not this copy. */\n${text}`;
}

/** The package.json version, stamped into generated banners as the generator version. */
export function generatorVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(FIRMWARE_GEN_DIR, '..', 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error(`${path.join(FIRMWARE_GEN_DIR, '..', 'package.json')}: "version" must be a string`);
  return pkg.version;
}
