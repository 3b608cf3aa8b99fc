import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cachedBuild } from './cached-build.js';
import { ENGINE_DIR } from './engine-files.js';
import type { GeneratedFirmware } from './generate.js';

const PIXELS = 784;
const CLASSES = 10;
/** Per image the batch main writes 10 int8 logits and the digit. */
const RESULT_BYTES = CLASSES + 1;

/** The host driver behind `--engine c` and bench/c-engine.ts (stdin images → stdout logits + digit). */
export const HOST_BATCH_MAIN = path.join(ENGINE_DIR, 'host_batch_main.c');

export const STRICT_C_FLAGS = ['-std=c99', '-Wall', '-Wextra', '-Werror'] as const;
export const SANITIZER_FLAGS = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer'] as const;

/** True when `tool --version` runs: how tests and commands decide whether a toolchain is installed. */
export function hasTool(tool: string): boolean {
  const r = spawnSync(tool, ['--version'], { stdio: 'ignore' });
  return r.status === 0;
}

export interface HostBuildOptions {
  /** A C file with main(), compiled with the generated sources. */
  readonly main: string;
  readonly optimization?: '-O0' | '-O1' | '-O2' | '-O3' | '-Os';
  readonly sanitize?: boolean;
  /** Extra -D definitions, e.g. { ED_SPECIALIZE: '0' } for the generic kernels. */
  readonly defines?: Readonly<Record<string, string>>;
  readonly compiler?: string;
  /** Where built engines are kept, one folder per hash of everything that goes into the build. */
  readonly cacheDir?: string;
}

export function compileFlags(o: HostBuildOptions): string[] {
  return [
    ...STRICT_C_FLAGS,
    o.optimization ?? '-O2',
    ...(o.sanitize ? SANITIZER_FLAGS : []),
    ...Object.entries(o.defines ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `-D${k}=${v}`),
  ];
}

/**
 * Compiles the generated sources with `main` into a host executable and returns its path, built once per
 * distinct compiler, flags and source bytes (cachedBuild).
 */
export function buildHostEngine(fw: GeneratedFirmware, o: HostBuildOptions): string {
  const main = { path: `main-${path.basename(o.main)}`, content: readFileSync(o.main, 'utf8') };
  if (fw.files.some((f) => f.path === main.path)) throw new Error(`buildHostEngine: main ${o.main} would overwrite the generated ${main.path}`);
  const args = [...compileFlags(o), '-I', fw.includeDir, ...fw.cSources, main.path, '-o', 'engine'];
  return cachedBuild({
    compiler: o.compiler ?? 'gcc', args, files: [...fw.files, main], output: 'engine',
    cacheName: 'c-engine', cacheDir: o.cacheDir, what: 'compiling the C engine',
  }).path;
}

export interface CEngineResult {
  /** count × 10 int8 logits. */
  readonly logits: Int8Array;
  readonly digits: Uint8Array;
  readonly seconds: number;
}

/** Runs a built engine (host_batch_main.c or test/c/engine_main.c protocol) on `count` 28×28 images. */
export function runHostEngine(exe: string, images: Uint8Array, count: number): CEngineResult {
  if (images.length < count * PIXELS) throw new RangeError(`runHostEngine: ${count} images need ${count * PIXELS} bytes, got ${images.length}`);
  const input = Buffer.from(images.buffer, images.byteOffset, count * PIXELS);
  const t0 = performance.now();
  const r = spawnSync(exe, [], { input, maxBuffer: count * RESULT_BYTES + (1 << 20) });
  const seconds = (performance.now() - t0) / 1000;
  if (r.error || r.status !== 0) {
    const stderr = r.stderr ? r.stderr.toString('utf8').split('\n').slice(0, 40).join('\n') : '';
    throw new Error(`C engine ${exe} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}):\n${stderr}`);
  }
  const out = r.stdout;
  if (out.length !== count * RESULT_BYTES) throw new Error(`C engine ${exe}: expected ${count * RESULT_BYTES} bytes for ${count} images, got ${out.length}`);
  const logits = new Int8Array(count * CLASSES);
  const digits = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < CLASSES; k++) logits[i * CLASSES + k] = (out[i * RESULT_BYTES + k] << 24) >> 24;
    digits[i] = out[i * RESULT_BYTES + CLASSES];
  }
  return { logits, digits, seconds };
}
