import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIRMWARE_GEN_DIR } from '../../engine-files.js';
import { writeGeneratedFiles, type GeneratedFile, type GeneratedFirmware } from '../../generate.js';
import { STRICT_C_FLAGS } from '../../host-engine.js';

/**
 * The virtual board: the generated engine + model and the protocol core behind a posix HAL (a pseudo-terminal
 * for the serial line, CLOCK_MONOTONIC for micros, a logged pin table), compiled for this machine with gcc.
 */
export const POSIX_DIR = path.dirname(fileURLToPath(import.meta.url));
export const VIRTUAL_BOARD_EXE = 'edge-digits-virtual-board';
/** The firmware name the virtual board reports (REPORT_FIRMWARE); compiled into main.c as ED_POSIX_FIRMWARE_NAME. */
export const VIRTUAL_BOARD_FIRMWARE_NAME = 'EdgeDigits-virtual-posix';

const PROTOCOL_DIR = path.join(FIRMWARE_GEN_DIR, 'protocol');
const PROTOCOL_FILES = ['ed_protocol_ids.h', 'ed_codec.h', 'ed_codec.c', 'ed_board.h', 'ed_board.c'] as const;
const HAL_FILES = ['posix_pty.h', 'posix_pty.c', 'main.c'] as const;
/** ptys, symlinks, clock_gettime and sigaction are POSIX, not C99. */
const POSIX_FLAGS = ['-D_XOPEN_SOURCE=700'] as const;

export interface VirtualBoardBuildOptions {
  readonly compiler?: string;
  readonly optimization?: '-O0' | '-O1' | '-O2' | '-O3' | '-Os';
  /** Where built boards are kept, one folder per hash of everything that goes into the build. */
  readonly cacheDir?: string;
}

export interface VirtualBoardImage {
  readonly exe: string;
  /** Hash of compiler, flags and sources: the cache key. */
  readonly key: string;
}

function defaultCacheDir(): string {
  const inRepo = path.join(FIRMWARE_GEN_DIR, '..', 'node_modules', '.cache', 'edge-digits', 'posix');
  try {
    mkdirSync(inRepo, { recursive: true });
    return inRepo;
  } catch {
    return path.join(os.tmpdir(), 'edge-digits-posix');
  }
}

function run(tool: string, args: readonly string[], what: string, cwd?: string): string {
  const r = spawnSync(tool, args, { encoding: 'utf8', ...(cwd ? { cwd } : {}) });
  if (r.error || r.status !== 0) {
    const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    const detail = missing ? `${tool} is not installed (Debian: apt-get install gcc)` : (r.error?.message ?? r.stderr.split('\n').slice(0, 40).join('\n'));
    throw new Error(`${what} failed: ${tool} ${args.join(' ')}\n${detail}`);
  }
  return r.stdout;
}

const fileFrom = (dir: string, name: string): GeneratedFile => ({ path: name, content: readFileSync(path.join(dir, name), 'utf8') });

/** Every source of the virtual board: generated engine + model, protocol core, posix HAL and main. */
export function virtualBoardFiles(fw: GeneratedFirmware): GeneratedFile[] {
  if (fw.target !== 'host') throw new TypeError(`virtualBoardFiles: expects the generator's 'host' file set (engine + model), got target '${fw.target}'`);
  return [
    ...fw.files,
    ...PROTOCOL_FILES.map((n) => fileFrom(PROTOCOL_DIR, n)),
    ...HAL_FILES.map((n) => fileFrom(POSIX_DIR, n)),
  ];
}

export function virtualBoardFlags(o: VirtualBoardBuildOptions = {}): string[] {
  return [...STRICT_C_FLAGS, ...POSIX_FLAGS, `-DED_POSIX_FIRMWARE_NAME="${VIRTUAL_BOARD_FIRMWARE_NAME}"`, o.optimization ?? '-O2'];
}

/**
 * Compiles the virtual board for one generated model. Builds are cached by a hash of the compiler, flags and
 * every source byte, and published with an atomic rename, so parallel runs never see a half-written binary and a
 * changed model or HAL never reuses a stale one.
 */
export function buildVirtualBoard(fw: GeneratedFirmware, o: VirtualBoardBuildOptions = {}): VirtualBoardImage {
  const gcc = o.compiler ?? 'gcc';
  const flags = virtualBoardFlags(o);
  const files = virtualBoardFiles(fw);
  const hash = createHash('sha256').update(run(gcc, ['--version'], 'asking the C compiler its version').split('\n', 1)[0]);
  hash.update('\0').update(flags.join(' '));
  for (const f of files) hash.update('\0').update(f.path).update('\0').update(f.content);
  const key = hash.digest('hex').slice(0, 24);
  const cacheDir = o.cacheDir ?? defaultCacheDir();
  const finalDir = path.join(cacheDir, key);
  const exe = path.join(finalDir, VIRTUAL_BOARD_EXE);
  if (existsSync(exe)) return { exe, key };

  const work = path.join(cacheDir, `${key}.tmp-${process.pid}-${Date.now()}`);
  rmSync(work, { recursive: true, force: true });
  try {
    writeGeneratedFiles(work, files);
    const sources = files.filter((f) => f.path.endsWith('.c')).map((f) => f.path);
    run(gcc, [...flags, '-I', '.', ...sources, '-o', VIRTUAL_BOARD_EXE], `building the virtual board (${VIRTUAL_BOARD_EXE})`, work);
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
  try {
    renameSync(work, finalDir);
  } catch {
    // Another process published the same build first; theirs is identical.
    rmSync(work, { recursive: true, force: true });
  }
  return { exe, key };
}
